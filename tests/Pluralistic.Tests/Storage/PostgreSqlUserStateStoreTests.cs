using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pluralistic.Storage.PostgreSql;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Storage;

/// <summary>The whole store contract against a real PostgreSQL server, each test in a fresh schema.</summary>
[RequiresPostgres]
public class PostgreSqlUserStateStoreContractTests : PersistentUserStateStoreContract
{
    private readonly string _schema = PostgresTests.NewSchema();
    private int _scopes;

    private PostgreSqlUserStateStoreOptions Options => new() { Schema = _schema, Scope = $"scope-{_scopes}" };

    protected override IUserStateStore CreateStore()
    {
        _scopes++;
        return new PostgreSqlUserStateStore(PostgresTests.Required, Options);
    }

    protected override IUserStateStore Reopen() => new PostgreSqlUserStateStore(PostgresTests.Required, Options);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            PostgresTests.DropSchema(_schema);
        }
    }
}

/// <summary>What the PostgreSQL store does beyond the contract: schema versions, integrity, scopes, many writers.</summary>
[RequiresPostgres]
public sealed class PostgreSqlUserStateStoreTests : IDisposable
{
    private readonly string _schema = PostgresTests.NewSchema();
    private readonly List<IUserStateStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        PostgresTests.DropSchema(_schema);
    }

    private PostgreSqlUserStateStore Open(string scope = "s")
    {
        var store = new PostgreSqlUserStateStore(PostgresTests.Required, new PostgreSqlUserStateStoreOptions { Schema = _schema, Scope = scope });
        _stores.Add(store);
        return store;
    }

    private static UserState State(string user, float seed = 1f, int pairCount = 0) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "fp-1",
        Vector = new[] { seed, seed + 1, seed + 2 },
        Evidence = new[] { seed, 0.5f },
        EvidenceCount = 1,
        PairCount = pairCount,
        Revision = 1,
    };

    // The store's key: the id's UTF-16 code units, big-endian.
    private static byte[] Key(string user) => System.Text.Encoding.BigEndianUnicode.GetBytes(user);

    [StoreFact]
    public async Task The_store_creates_its_schema_and_records_the_version()
    {
        var store = Open();
        await store.InitializeAsync();

        await using var dataSource = NpgsqlDataSource.Create(PostgresTests.Required);
        await using var command = dataSource.CreateCommand($"SELECT name, version FROM \"{_schema}\".schema_version");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("pluralistic-user-states", reader.GetString(0));
        Assert.Equal(PostgreSqlUserStateStore.SchemaVersion, reader.GetInt32(1));
    }

    [StoreFact]
    public async Task A_newer_schema_is_refused_and_left_unchanged()
    {
        var store = Open();
        await store.UpsertAsync(State("kept"));
        await PostgresTests.ExecuteAsync($"UPDATE \"{_schema}\".schema_version SET version = 99");

        var newer = Open();
        var error = await Assert.ThrowsAsync<UserStateStoreException>(async () => await newer.GetAsync(new UserId("kept")));

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains(_schema, error.Message, StringComparison.Ordinal);
        await PostgresTests.ExecuteAsync($"UPDATE \"{_schema}\".schema_version SET version = 1");
        Assert.Equal(1f, (await Open().GetAsync(new UserId("kept")))!.Vector.Span[0]);
    }

    [StoreFact]
    public async Task Several_stores_starting_together_create_the_schema_once()
    {
        var stores = Enumerable.Range(0, 6).Select(i => Open($"s{i}")).ToList();

        await Task.WhenAll(stores.Select((s, i) => s.UpsertAsync(State($"u{i}")).AsTask()));

        foreach (var (store, i) in stores.Select((s, i) => (s, i)))
        {
            Assert.Equal(1, await store.CountAsync());
            Assert.NotNull(await store.GetAsync(new UserId($"u{i}")));
        }
    }

    [StoreFact]
    public async Task A_state_changed_behind_the_stores_back_is_a_typed_error_naming_the_user()
    {
        var store = Open();
        await store.UpsertManyAsync([State("intact", 1), State("tampered", 2)]);

        // Flip one bit of the first float of the stored vector, leaving the checksum as written.
        await PostgresTests.ExecuteAsync(
            $"UPDATE \"{_schema}\".user_states SET vector = set_byte(vector, 0, get_byte(vector, 0) # 1) WHERE user_key = $1",
            Key("tampered"));

        var error = await Assert.ThrowsAsync<UserStateIntegrityException>(async () => await store.GetAsync(new UserId("tampered")));
        Assert.Equal(new UserId("tampered"), error.User);
        Assert.Contains("'tampered'", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<UserStateIntegrityException>(async () => await store.GetManyAsync([new UserId("intact"), new UserId("tampered")]));
        Assert.Equal(1f, (await store.GetAsync(new UserId("intact")))!.Vector.Span[0]);

        // A changed fingerprint is caught as well.
        await PostgresTests.ExecuteAsync($"UPDATE \"{_schema}\".user_states SET model_fingerprint = 'fp-2' WHERE user_key = $1", Key("intact"));
        Assert.Equal(new UserId("intact"), (await Assert.ThrowsAsync<UserStateIntegrityException>(async () => await store.GetAsync(new UserId("intact")))).User);
    }

    [StoreFact]
    public async Task Scopes_share_the_tables_but_not_the_states()
    {
        var a = Open("run-a");
        var b = Open("run-b");
        await a.UpsertManyAsync([State("u1", 1), State("u2", 2)]);
        await b.UpsertAsync(State("u1", 10));

        Assert.Equal(2, await a.CountAsync());
        Assert.Equal(1, await b.CountAsync());
        Assert.Equal(1f, (await a.GetAsync(new UserId("u1")))!.Vector.Span[0]);
        Assert.Equal(10f, (await b.GetAsync(new UserId("u1")))!.Vector.Span[0]);
        Assert.True(await b.DeleteAsync(new UserId("u1")));
        Assert.NotNull(await a.GetAsync(new UserId("u1")));
    }

    [StoreFact]
    public async Task Writers_with_their_own_pools_lose_no_update_of_one_user()
    {
        // Separate stores with separate data sources (as separate processes would have) over one row.
        const int Writers = 4;
        const int Increments = 40;
        var stores = Enumerable.Range(0, Writers).Select(_ => Open()).ToList();
        var user = new UserId("contended");

        await Task.WhenAll(stores.Select(store => Task.Run(async () =>
        {
            for (var i = 0; i < Increments; i++)
            {
                await store.UpdateAsync(user, current => current is null
                    ? State("contended", pairCount: 1)
                    : current with { PairCount = current.PairCount + 1, Revision = current.Revision + 1 });
            }
        })));

        Assert.Equal(Writers * Increments, (await stores[0].GetAsync(user))!.PairCount);
    }

    [StoreFact]
    public async Task A_batch_larger_than_one_statement_is_written_whole()
    {
        var store = Open();
        var states = Enumerable.Range(0, 5000).Select(i => State($"user-{i:D5}", i)).ToList();

        await store.UpsertManyAsync(states);

        Assert.Equal(5000, await store.CountAsync());
        var read = await store.GetManyAsync(states.Select(s => s.User));
        Assert.Equal(5000, read.Count);
        Assert.All(states, s => Assert.Equal(s.Vector.Span[0], read[s.User].Vector.Span[0]));
    }

    [StoreFact]
    public async Task A_cancelled_read_is_cancelled()
    {
        var store = Open();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetManyAsync([new UserId("a"), new UserId("b")], cancelled.Token));
    }

    [StoreFact]
    public async Task An_unreachable_server_is_a_store_error_without_the_password()
    {
        using var store = new PostgreSqlUserStateStore("Host=127.0.0.1;Port=1;Username=nobody;Password=s3cret;Timeout=2");

        var error = await Assert.ThrowsAsync<UserStateStoreException>(async () => await store.CountAsync());

        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task The_store_registers_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["UserStates:ConnectionString"] = PostgresTests.Required,
                ["UserStates:Schema"] = _schema,
                ["UserStates:Scope"] = "from-config",
            })
            .Build();
        var services = new ServiceCollection().AddPostgreSqlUserStateStore(configuration.GetSection("UserStates"));
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IUserStateStore>();
        await store.UpsertAsync(State("configured"));

        Assert.IsType<PostgreSqlUserStateStore>(store);
        Assert.Equal(1, await Open("from-config").CountAsync());
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddPostgreSqlUserStateStore(configuration.GetSection("Missing")));
    }
}
