using Pluralistic.Storage.LiteDb;

namespace Pluralistic.Tests.Storage;

/// <summary>The user-state cache stays coherent when reads and writes of one user race.</summary>
public sealed class CachingUserStateStoreTests
{
    private static UserState State(string user, long revision) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "0123456789abcdef",
        Vector = new[] { (float)revision, 2f, 3f },
        PairCount = (int)revision,
        Revision = revision,
        CreatedUtc = DateTimeOffset.UnixEpoch,
        UpdatedUtc = DateTimeOffset.UnixEpoch.AddTicks(revision),
    };

    [Fact]
    public async Task A_read_that_raced_a_write_does_not_cache_the_state_the_write_replaced()
    {
        var inner = new PausingReadStore(new LiteDbUserStateStore(":memory:"));
        using var cache = new CachingUserStateStore(inner, ownsInner: true);
        var user = new UserId("racer");
        await inner.UpsertAsync(State("racer", 1));

        // The read gets revision 1 from the store, then waits before the cache may remember it.
        inner.PauseNextRead();
        var read = cache.GetAsync(user).AsTask();
        await inner.ReadDone.Task;

        // Meanwhile a write commits revision 2 through the cache.
        await cache.UpdateAsync(user, s => s! with { Revision = 2, PairCount = 2, UpdatedUtc = s.UpdatedUtc.AddTicks(1) });
        inner.Resume();
        Assert.Equal(1, (await read)!.Revision);

        // The late read must not have replaced the written copy with the one it read.
        Assert.Equal(2, (await cache.GetAsync(user))!.Revision);
        Assert.Equal(2, (await cache.GetManyAsync([user]))[user].Revision);
    }

    [Fact]
    public async Task Writes_through_the_cache_are_read_back_without_reading_the_store()
    {
        var inner = new PausingReadStore(new LiteDbUserStateStore(":memory:"));
        using var cache = new CachingUserStateStore(inner, ownsInner: true);
        await cache.UpsertAsync(State("a", 1));
        await cache.UpdateAsync(new UserId("b"), _ => State("b", 3));

        Assert.Equal(1, (await cache.GetAsync(new UserId("a")))!.Revision);
        Assert.Equal(3, (await cache.GetAsync(new UserId("b")))!.Revision);
        Assert.Equal(0, inner.Reads);
    }

    /// <summary>Reads through to another store, and can hold one read after it has read, before it returns.</summary>
    private sealed class PausingReadStore(IUserStateStore inner) : IUserStateStore
    {
        private TaskCompletionSource? _gate;
        private TaskCompletionSource? _held;

        public TaskCompletionSource ReadDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Reads { get; private set; }

        public void PauseNextRead() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Resume() => _held!.TrySetResult();

        public async ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default)
        {
            Reads++;
            var state = await inner.GetAsync(user, cancellationToken);
            if (Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                _held = gate;
                ReadDone.TrySetResult();
                await gate.Task;
            }

            return state;
        }

        public ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default)
        {
            Reads++;
            return inner.GetManyAsync(users, cancellationToken);
        }

        public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default) => inner.UpsertAsync(state, cancellationToken);

        public ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default) => inner.UpsertManyAsync(states, cancellationToken);

        public ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default) =>
            inner.UpdateAsync(user, update, cancellationToken);

        public ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default) => inner.DeleteAsync(user, cancellationToken);

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

        public IAsyncEnumerable<UserState> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
