using System.Runtime.InteropServices;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Storage;

/// <summary>
/// What every <see cref="IUserStateStore"/> must do. A store gets the whole suite by deriving a test class that says
/// how to create it; each test gets fresh, empty stores.
/// </summary>
public abstract class UserStateStoreContract : IDisposable
{
    private readonly List<IUserStateStore> _stores = [];

    /// <summary>Creates an empty store of the kind under test.</summary>
    protected abstract IUserStateStore CreateStore();

    /// <summary>A store to test with; disposed after the test.</summary>
    protected IUserStateStore NewStore()
    {
        var store = CreateStore();
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var store in _stores)
            {
                store.Dispose();
            }
        }
    }

    // Ticks chosen below the millisecond, so a store that keeps only milliseconds fails the round trip.
    protected static readonly DateTimeOffset Created = new(new DateTime(2025, 3, 14, 15, 9, 26, DateTimeKind.Utc).AddTicks(5_358_979), TimeSpan.Zero);

    protected static UserState State(string user, float seed = 1f, int pairCount = 0, long revision = 1) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "0123456789abcdef0123456789abcdef",
        Vector = new[] { seed, seed + 0.5f, -seed },
        Evidence = new[] { seed, 2 * seed, 3 * seed, 4 * seed, 0.25f },
        EvidenceCount = 1,
        PairCount = pairCount,
        Revision = revision,
        CreatedUtc = Created,
        UpdatedUtc = Created.AddSeconds(1).AddTicks(revision % 10_000),
    };

    protected static void AssertSameState(UserState expected, UserState? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.User, actual.User);
        Assert.Equal(expected.ModelKind, actual.ModelKind);
        Assert.Equal(expected.ModelFingerprint, actual.ModelFingerprint);
        Assert.Equal(expected.SchemaVersion, actual.SchemaVersion);
        Assert.Equal(Bits(expected.Vector), Bits(actual.Vector));
        Assert.Equal(Bits(expected.Evidence), Bits(actual.Evidence));
        Assert.Equal(expected.EvidenceCount, actual.EvidenceCount);
        Assert.Equal(expected.PairCount, actual.PairCount);
        Assert.Equal(expected.Revision, actual.Revision);
        Assert.Equal(expected.CreatedUtc.UtcTicks, actual.CreatedUtc.UtcTicks);
        Assert.Equal(expected.UpdatedUtc.UtcTicks, actual.UpdatedUtc.UtcTicks);
        Assert.Equal(expected.CreatedUtc.Offset, actual.CreatedUtc.Offset);
        Assert.Equal(expected.UpdatedUtc.Offset, actual.UpdatedUtc.Offset);
    }

    // Bit patterns, so NaN payloads and negative zero count.
    private static byte[] Bits(ReadOnlyMemory<float> values) => MemoryMarshal.AsBytes(values.Span).ToArray();

    protected static async Task<List<UserState>> ListAllAsync(IUserStateStore store)
    {
        var states = new List<UserState>();
        await foreach (var state in store.ListAsync())
        {
            states.Add(state);
        }

        return states;
    }

    [StoreFact]
    public async Task Get_of_an_unknown_user_is_null()
    {
        var store = NewStore();
        Assert.Null(await store.GetAsync(new UserId("nobody")));
        Assert.Equal(0, await store.CountAsync());
        Assert.Empty(await ListAllAsync(store));
    }

    [StoreFact]
    public async Task Every_field_round_trips()
    {
        var store = NewStore();
        var state = State("alice", revision: long.MaxValue - 7) with
        {
            ModelKind = "vpl",
            ModelFingerprint = new string('f', 64),
            SchemaVersion = 7,
            Vector = new[] { float.NaN, -0f, float.Epsilon, float.PositiveInfinity, float.MinValue, 1e-30f, BitConverter.Int32BitsToSingle(0x7FC0_1234) },
            Evidence = Enumerable.Range(0, 1000).Select(i => i * 0.001f - 0.5f).ToArray(),
            EvidenceCount = 200,
            PairCount = int.MaxValue,
            UpdatedUtc = Created.AddDays(3).AddTicks(1),
        };

        await store.UpsertAsync(state);

        AssertSameState(state, await store.GetAsync(state.User));
        AssertSameState(state, (await store.GetManyAsync([state.User]))[state.User]);
        AssertSameState(state, Assert.Single(await ListAllAsync(store)));
    }

    [StoreFact]
    public async Task Empty_vectors_and_default_dates_round_trip()
    {
        var store = NewStore();
        var state = new UserState { User = new UserId("empty"), ModelKind = "bt", ModelFingerprint = "", Vector = ReadOnlyMemory<float>.Empty };

        await store.UpsertAsync(state);

        var read = await store.GetAsync(state.User);
        AssertSameState(state, read);
        Assert.True(read!.Vector.IsEmpty);
        Assert.True(read.Evidence.IsEmpty);
    }

    [StoreFact]
    public async Task The_longest_user_id_round_trips()
    {
        var store = NewStore();
        var id = new string('\u20AC', UserId.MaxLength); // three bytes each in UTF-8
        await store.UpsertAsync(State(id));

        AssertSameState(State(id), await store.GetAsync(new UserId(id)));
        Assert.Equal(id, Assert.Single(await ListAllAsync(store)).User.Value);
    }

    [StoreFact]
    public async Task User_ids_that_differ_only_in_case_are_different_users()
    {
        var store = NewStore();
        await store.UpsertAsync(State("Alice", seed: 1));
        await store.UpsertAsync(State("alice", seed: 2));
        await store.UpsertAsync(State("ALICE", seed: 3));

        Assert.Equal(3, await store.CountAsync());
        Assert.Equal(1f, (await store.GetAsync(new UserId("Alice")))!.Vector.Span[0]);
        Assert.Equal(2f, (await store.GetAsync(new UserId("alice")))!.Vector.Span[0]);
        Assert.True(await store.DeleteAsync(new UserId("alice")));
        Assert.NotNull(await store.GetAsync(new UserId("Alice")));
        Assert.NotNull(await store.GetAsync(new UserId("ALICE")));
    }

    [StoreFact]
    public async Task Upsert_replaces_the_earlier_state()
    {
        var store = NewStore();
        await store.UpsertAsync(State("bob", seed: 1, pairCount: 3, revision: 1));
        var second = State("bob", seed: 9, pairCount: 5, revision: 2) with { Evidence = ReadOnlyMemory<float>.Empty, EvidenceCount = 0 };

        await store.UpsertAsync(second);

        AssertSameState(second, await store.GetAsync(second.User));
        Assert.Equal(1, await store.CountAsync());
    }

    [StoreFact]
    public async Task Delete_removes_the_state_and_says_whether_there_was_one()
    {
        var store = NewStore();
        await store.UpsertManyAsync([State("a"), State("b"), State("c")]);

        Assert.True(await store.DeleteAsync(new UserId("b")));
        Assert.False(await store.DeleteAsync(new UserId("b")));
        Assert.False(await store.DeleteAsync(new UserId("never-stored")));

        Assert.Null(await store.GetAsync(new UserId("b")));
        Assert.Equal(2, await store.CountAsync());
        Assert.Equal(["a", "c"], (await ListAllAsync(store)).Select(s => s.User.Value));
        Assert.False((await store.GetManyAsync([new UserId("b")])).ContainsKey(new UserId("b")));
    }

    [StoreFact]
    public async Task GetMany_returns_the_users_found_and_leaves_out_the_rest()
    {
        var store = NewStore();
        await store.UpsertManyAsync([State("u1", 1), State("u2", 2), State("u3", 3)]);

        var found = await store.GetManyAsync([new UserId("u3"), new UserId("missing"), new UserId("u1"), new UserId("u1")]);

        Assert.Equal(2, found.Count);
        AssertSameState(State("u1", 1), found[new UserId("u1")]);
        AssertSameState(State("u3", 3), found[new UserId("u3")]);
        Assert.Empty(await store.GetManyAsync([]));
    }

    [StoreFact]
    public async Task UpsertMany_writes_every_state_and_the_last_of_a_repeated_user()
    {
        var store = NewStore();
        await store.UpsertManyAsync([State("x", 1), State("y", 2), State("x", 3)]);

        Assert.Equal(2, await store.CountAsync());
        Assert.Equal(3f, (await store.GetAsync(new UserId("x")))!.Vector.Span[0]);
        await store.UpsertManyAsync([]);
        Assert.Equal(2, await store.CountAsync());
    }

    [StoreFact]
    public async Task UpsertMany_with_a_cancelled_token_writes_nothing()
    {
        var store = NewStore();
        await store.UpsertAsync(State("kept", 1));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await store.UpsertManyAsync([State("kept", 2), State("new", 3)], cancelled.Token));

        Assert.Equal(1, await store.CountAsync());
        Assert.Equal(1f, (await store.GetAsync(new UserId("kept")))!.Vector.Span[0]);
    }

    [StoreFact]
    public async Task UpsertMany_whose_source_fails_midway_writes_nothing()
    {
        var store = NewStore();

        await Assert.ThrowsAsync<InvalidDataException>(async () => await store.UpsertManyAsync(FailingBatch()));

        Assert.Equal(0, await store.CountAsync());
        Assert.Null(await store.GetAsync(new UserId("first")));

        static IEnumerable<UserState> FailingBatch()
        {
            yield return State("first");
            yield return State("second");
            throw new InvalidDataException("the source broke");
        }
    }

    [StoreFact]
    public async Task Update_creates_changes_and_deletes()
    {
        var store = NewStore();
        var user = new UserId("carol");

        var created = await store.UpdateAsync(user, current => current ?? State("carol", pairCount: 1));
        var changed = await store.UpdateAsync(user, current => current! with { PairCount = current.PairCount + 1, Revision = current.Revision + 1 });

        Assert.Equal(2, changed!.PairCount);
        AssertSameState(changed, await store.GetAsync(user));
        Assert.Equal(1, created!.PairCount);

        Assert.Null(await store.UpdateAsync(user, _ => null));
        Assert.Null(await store.GetAsync(user));
        Assert.Equal(0, await store.CountAsync());

        // Deleting a user who has no state through Update is a no-op.
        UserState? seen = State("sentinel");
        Assert.Null(await store.UpdateAsync(new UserId("ghost"), current => seen = current));
        Assert.Null(seen);
        Assert.Equal(0, await store.CountAsync());
    }

    [StoreFact]
    public async Task Update_whose_function_throws_writes_nothing_and_lets_the_error_through()
    {
        var store = NewStore();
        await store.UpsertAsync(State("frank", 1));

        await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await store.UpdateAsync(new UserId("frank"), _ => throw new InvalidDataException("the model failed")));
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await store.UpdateAsync(new UserId("grace"), _ => throw new InvalidDataException("the model failed")));

        Assert.Equal(1f, (await store.GetAsync(new UserId("frank")))!.Vector.Span[0]);
        Assert.Null(await store.GetAsync(new UserId("grace")));
        Assert.Equal(1, await store.CountAsync());
    }

    [StoreFact]
    public async Task Update_that_returns_another_users_state_is_refused_and_changes_nothing()
    {
        var store = NewStore();
        await store.UpsertAsync(State("dave", 1));

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.UpdateAsync(new UserId("dave"), _ => State("eve", 2)));

        Assert.Equal(1f, (await store.GetAsync(new UserId("dave")))!.Vector.Span[0]);
        Assert.Null(await store.GetAsync(new UserId("eve")));
    }

    [StoreFact]
    public async Task Concurrent_updates_of_one_user_lose_no_increment()
    {
        var store = NewStore();
        var user = new UserId("hot");
        const int Threads = 8;
        const int Increments = 50;
        using var start = new Barrier(Threads);

        var workers = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < Increments; i++)
                {
                    store.UpdateAsync(user, current => current is null
                        ? State("hot", pairCount: 1, revision: 1)
                        : current with { PairCount = current.PairCount + 1, Revision = current.Revision + 1 }).AsTask().GetAwaiter().GetResult();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(workers);

        var final = await store.GetAsync(user);
        Assert.Equal(Threads * Increments, final!.PairCount);
        Assert.Equal(Threads * Increments, final.Revision);
    }

    [StoreFact]
    public async Task Concurrent_writers_of_different_users_keep_every_state()
    {
        var store = NewStore();
        const int Threads = 8;
        const int UsersPerThread = 50;
        using var start = new Barrier(Threads);

        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < UsersPerThread; i++)
                {
                    var state = State($"t{t}-u{i:D2}", seed: (t * 100) + i);
                    if (i % 3 == 0)
                    {
                        store.UpsertManyAsync([state]).AsTask().GetAwaiter().GetResult();
                    }
                    else if (i % 3 == 1)
                    {
                        store.UpsertAsync(state).AsTask().GetAwaiter().GetResult();
                    }
                    else
                    {
                        store.UpdateAsync(state.User, _ => state).AsTask().GetAwaiter().GetResult();
                    }

                    // Readers run alongside the writers.
                    Assert.NotNull(store.GetAsync(state.User).AsTask().GetAwaiter().GetResult());
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(workers);

        var expected = Enumerable.Range(0, Threads)
            .SelectMany(t => Enumerable.Range(0, UsersPerThread).Select(i => (Id: $"t{t}-u{i:D2}", Seed: (float)((t * 100) + i))))
            .OrderBy(e => e.Id, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected.Count, await store.CountAsync());
        Assert.Equal(expected, (await ListAllAsync(store)).Select(s => (s.User.Value, s.Vector.Span[0])));
    }

    [StoreFact]
    public async Task List_is_in_ordinal_user_id_order()
    {
        var store = NewStore();
        // Ordinal UTF-16 order: upper case before lower case, a surrogate pair (U+1F600) before U+FFFD, which a
        // code-point or UTF-8 order would reverse.
        string[] ids = ["b", "B", "a", "Z", "aa", "a0", "é", "user-10", "user-9", "\U0001F600", "\uFFFD", "_x", "~"];
        await store.UpsertManyAsync(ids.Select((id, i) => State(id, i)));

        var listed = (await ListAllAsync(store)).Select(s => s.User.Value).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
        Assert.Equal(ids.Length, await store.CountAsync());
    }

    [StoreFact]
    public async Task List_of_many_users_is_complete_and_ordered()
    {
        var store = NewStore();
        var ids = Enumerable.Range(0, 700).Select(i => $"user-{(i * 7919) % 700}").ToList();
        await store.UpsertManyAsync(ids.Select(id => State(id)));

        var listed = (await ListAllAsync(store)).Select(s => s.User.Value).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
        Assert.Equal(700, await store.CountAsync());
    }

    [StoreFact]
    public async Task List_stops_when_cancelled()
    {
        var store = NewStore();
        await store.UpsertManyAsync([State("a"), State("b")]);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in store.ListAsync(cancelled.Token))
            {
            }
        });
    }

    [StoreFact]
    public async Task Null_arguments_are_refused()
    {
        var store = NewStore();

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.GetManyAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.UpsertAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.UpsertManyAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.UpdateAsync(new UserId("a"), null!));
        Assert.Equal(0, await store.CountAsync());
    }
}

/// <summary>The contract for stores that keep their states after they are disposed (files).</summary>
public abstract class PersistentUserStateStoreContract : UserStateStoreContract
{
    /// <summary>Opens the storage the last <see cref="UserStateStoreContract.NewStore"/> created, again.</summary>
    protected abstract IUserStateStore Reopen();

    [StoreFact]
    public async Task States_survive_dispose_and_reopen()
    {
        var states = Enumerable.Range(0, 20).Select(i => State($"p{i:D2}", seed: i, pairCount: i, revision: i + 1)).ToList();
        using (var store = CreateStore())
        {
            await store.UpsertManyAsync(states);
            await store.UpdateAsync(new UserId("p03"), s => s! with { PairCount = 99 });
            Assert.True(await store.DeleteAsync(new UserId("p07")));
        }

        using var reopened = Reopen();

        Assert.Equal(19, await reopened.CountAsync());
        Assert.Null(await reopened.GetAsync(new UserId("p07")));
        Assert.Equal(99, (await reopened.GetAsync(new UserId("p03")))!.PairCount);
        foreach (var state in states.Where(s => s.User.Value is not "p03" and not "p07"))
        {
            AssertSameState(state, await reopened.GetAsync(state.User));
        }

        await reopened.UpsertAsync(State("after-reopen"));
        Assert.Equal(20, await reopened.CountAsync());
    }
}
