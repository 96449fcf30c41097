using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pluralistic.Evaluation;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Storage.PostgreSql;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The user state stores side by side: batched upserts and reads of 32-float states, and single-user round trips
/// (read, read-modify-write), for the LiteDB file store and the PostgreSQL store on loopback. PostgreSQL is measured
/// when <c>PLURALISTIC_TEST_POSTGRES</c> names a server (<c>eval "$(.ci/postgres.sh start)"</c> starts one).
/// </summary>
internal sealed class StoreThroughputSection : BenchmarkSection
{
    public const string PostgresVariable = "PLURALISTIC_TEST_POSTGRES";
    private const int Dimension = 32;
    private const int Batch = 1000;

    public override string Id => "stores";

    public override string Title => "User state stores: LiteDB and PostgreSQL";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var users = context.Quick ? 10_000 : 100_000;
        var singles = context.Quick ? 500 : 5_000;
        var table = new MarkdownTable()
            .AddColumn("store")
            .AddColumn("batched upsert, states / s", ColumnAlignment.Right)
            .AddColumn("batched read, states / s", ColumnAlignment.Right)
            .AddColumn("single read, round trips / s", ColumnAlignment.Right)
            .AddColumn("single update (read-modify-write), / s", ColumnAlignment.Right);
        var load = EmbeddingSection.LoadAverage();

        var directory = Directory.CreateTempSubdirectory("pluralistic-bench-stores-");
        try
        {
            using (var lite = new LiteDbUserStateStore(Path.Combine(directory.FullName, "users.db")))
            {
                table.AddRow([.. await MeasureAsync(context, "LiteDB (file, one process)", lite, users, singles, cancellationToken).ConfigureAwait(false)]);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
        string? serverVersion = null;
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
            using var store = new PostgreSqlUserStateStore(postgres, new PostgreSqlUserStateStoreOptions { Schema = schema });
            try
            {
                table.AddRow([.. await MeasureAsync(context, "PostgreSQL (loopback, pooled)", store, users, singles, cancellationToken).ConfigureAwait(false)]);
                serverVersion = await ScalarAsync(postgres, "SHOW server_version", cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ScalarAsync(postgres, $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", cancellationToken).ConfigureAwait(false);
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{users:N0} users with a {Dimension}-float state vector and no evidence, written with `UpsertManyAsync` in batches of {Batch:N0} into an empty store, then read back with `GetManyAsync` in batches of {Batch:N0}; then {singles:N0} users read one `GetAsync` at a time and {singles:N0} updated one `UpdateAsync` at a time (each a read and a compare-and-swap write), one caller, back to back. Every state is written with its SHA-256 checksum and verified when read. LiteDB is the run directory's file store (one process; its writes are committed in memory and logged by a background thread); PostgreSQL is the `Pluralistic.Storage.PostgreSql` store over Npgsql's pool, to a throw-away cluster on 127.0.0.1 (`.ci/postgres.sh`, fsync off: the figures show the store and the protocol, not the disk){(serverVersion is null ? string.Empty : $", server {serverVersion}")}. Client and server share the machine's {Environment.ProcessorCount} cores; load (1-minute average) when the section started: {load}.");
        text.AppendLine();
        text.AppendLine(table.ToString());
        if (serverVersion is null)
        {
            text.AppendLine();
            text.AppendLine($"PostgreSQL not measured: {PostgresVariable} was not set (start a server with `eval \"$(.ci/postgres.sh start)\"` and run the section again).");
        }

        return text.ToString();
    }

    private static async Task<List<string>> MeasureAsync(BenchmarkContext context, string name, IUserStateStore store, int users, int singles, CancellationToken cancellationToken)
    {
        var random = new Random(context.Seed);
        var states = Enumerable.Range(0, users).Select(i => new UserState
        {
            User = new UserId($"user-{i:D7}"),
            ModelKind = "pal",
            ModelFingerprint = "0123456789abcdef0123456789abcdef",
            Vector = Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray(),
            Revision = 1,
            CreatedUtc = DateTimeOffset.UtcNow,
            UpdatedUtc = DateTimeOffset.UtcNow,
        }).ToList();

        context.Log($"  stores: {name}: batched upserts of {users:N0} states");
        var stopwatch = Stopwatch.StartNew();
        for (var start = 0; start < users; start += Batch)
        {
            await store.UpsertManyAsync(states.GetRange(start, Math.Min(Batch, users - start)), cancellationToken).ConfigureAwait(false);
        }

        var upserts = users / stopwatch.Elapsed.TotalSeconds;

        context.Log($"  stores: {name}: batched reads");
        stopwatch.Restart();
        var read = 0;
        for (var start = 0; start < users; start += Batch)
        {
            read += (await store.GetManyAsync(states.GetRange(start, Math.Min(Batch, users - start)).Select(s => s.User), cancellationToken).ConfigureAwait(false)).Count;
        }

        var reads = read / stopwatch.Elapsed.TotalSeconds;
        if (read != users)
        {
            throw new InvalidOperationException($"{name}: read {read} of {users} states");
        }

        context.Log($"  stores: {name}: single round trips");
        stopwatch.Restart();
        for (var i = 0; i < singles; i++)
        {
            _ = await store.GetAsync(states[(i * 7919) % users].User, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("a state is missing");
        }

        var single = singles / stopwatch.Elapsed.TotalSeconds;
        stopwatch.Restart();
        for (var i = 0; i < singles; i++)
        {
            await store.UpdateAsync(states[(i * 104_729) % users].User, s => s! with { PairCount = s.PairCount + 1, Revision = s.Revision + 1 }, cancellationToken).ConfigureAwait(false);
        }

        var updates = singles / stopwatch.Elapsed.TotalSeconds;
        return [name, Rate(upserts), Rate(reads), Rate(single), Rate(updates)];
    }

    private static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);

    private static async Task<string?> ScalarAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))?.ToString();
    }
}
