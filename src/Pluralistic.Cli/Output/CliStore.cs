using Pluralistic.Runs;
using Pluralistic.Storage.PostgreSql;
using Pluralistic.Torch;

namespace Pluralistic.Cli.Output;

/// <summary>
/// <c>--store CONNECTION</c> (or <c>PLURALISTIC_STORE</c>): the run's user states in PostgreSQL instead of its
/// <c>users.db</c>. Each run gets its own scope in the store's tables (<see cref="RunDirectory.StoreScope"/>), so runs
/// never mix states and every process that opens the same run (on any machine, the reward server too) shares them.
/// </summary>
internal static class CliStore
{
    public const string Variable = "PLURALISTIC_STORE";

    /// <summary>The store's scope for a run.</summary>
    public static string Scope(RunManifest manifest) => RunDirectory.StoreScope(manifest);

    /// <summary>Opens the run's store in the database.</summary>
    public static PostgreSqlUserStateStore Open(string connectionString, RunManifest manifest) =>
        new(connectionString, new PostgreSqlUserStateStoreOptions { Scope = Scope(manifest) });

    /// <summary>Run options that keep the user states in the database when a connection string is given.</summary>
    public static RunOpenOptions Apply(RunOpenOptions options, string? connectionString) =>
        string.IsNullOrWhiteSpace(connectionString) ? options : options with { UserStateStore = manifest => Open(connectionString, manifest) };

    /// <summary>Copies the states a model was trained with into the run's scope in the database.</summary>
    public static async Task<int> CopyAsync(IUserStateStore from, string connectionString, RunManifest manifest, CancellationToken cancellationToken)
    {
        using var store = Open(connectionString, manifest);
        var batch = new List<UserState>(4096);
        var copied = 0;
        await foreach (var state in from.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(state);
            if (batch.Count == batch.Capacity)
            {
                await store.UpsertManyAsync(batch, cancellationToken).ConfigureAwait(false);
                copied += batch.Count;
                batch.Clear();
            }
        }

        await store.UpsertManyAsync(batch, cancellationToken).ConfigureAwait(false);
        return copied + batch.Count;
    }
}
