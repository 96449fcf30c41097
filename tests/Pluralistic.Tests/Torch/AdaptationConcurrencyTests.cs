using System.Collections.Concurrent;
using System.Text.Json;
using Pluralistic.Models;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

/// <summary>
/// Adapting users against a store that other writers change: inference (the expensive part) never runs inside the
/// store's write lock, a conflicting commit is retried from what the other writer left, concurrent adaptations of
/// one user lose no pairs, and a user that keeps changing ends in a typed error after a bounded number of attempts.
/// </summary>
public class AdaptationConcurrencyTests
{
    public static TheoryData<string> Stores => ["memory", "litedb"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_conflicting_commit_is_inferred_again_outside_the_stores_lock_and_keeps_the_other_writers_pairs(string kind)
    {
        using var watched = new LockWatchingStore(NewStore(kind));
        using var model = CountingModel.Create(watched);
        var user = new UserId("u");

        // Another writer adapts the same user between this adaptation's read and its commit.
        var interloped = false;
        watched.BeforeUpdate = async () =>
        {
            if (!interloped)
            {
                interloped = true;
                using var other = model.WithUserStateStore(watched.Inner);
                await other.AdaptAsync(Pairs(user, 2, offset: 100));
            }
        };

        var result = await model.AdaptAsync(Pairs(user, 3));

        // Inferred from 3 pairs, then (after the conflict) again from the other writer's 2 plus these 3.
        Assert.Equal([3, 2, 5], model.Log.Inferences.Select(i => i.Pairs));
        Assert.All(model.Log.Inferences, i => Assert.False(i.InsideWriteLock, "inference ran inside the store's write lock"));
        Assert.Equal(2, watched.Updates);
        var state = Assert.Single(result.Users).State;
        var stored = await watched.GetAsync(user);
        Assert.NotNull(stored);
        Assert.Equal(2, state.Revision);
        Assert.Equal(2, stored.Revision);
        Assert.Equal(5, stored.PairCount);
        Assert.Equal(5, stored.EvidenceCount);
        Assert.Equal([5f], stored.Vector.ToArray());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Two_tasks_adapting_one_user_at_once_both_commit_and_lose_no_pairs(string kind)
    {
        using var watched = new LockWatchingStore(NewStore(kind));
        using var model = CountingModel.Create(watched);
        var user = new UserId("u");

        // Both tasks read the (absent) state and infer before either commits: one of them must meet a conflict.
        using var bothInferring = new Barrier(2);
        model.Log.OnInference = call =>
        {
            if (call <= 2)
            {
                Assert.True(bothInferring.SignalAndWait(TimeSpan.FromSeconds(30)), "the two adaptations did not infer at the same time");
            }
        };

        var results = await Task.WhenAll(
            Task.Run(() => model.AdaptAsync(Pairs(user, 3))),
            Task.Run(() => model.AdaptAsync(Pairs(user, 4, offset: 100))));

        var stored = await watched.GetAsync(user);
        Assert.NotNull(stored);
        Assert.Equal(2, stored.Revision);
        Assert.Equal(7, stored.PairCount);
        Assert.Equal(7, stored.EvidenceCount);
        Assert.Equal([7f], stored.Vector.ToArray());
        Assert.Equal([1L, 2L], results.Select(r => Assert.Single(r.Users).State.Revision).Order());

        // Every pair of both calls is in the evidence (the first float of a packed pair is its chosen vector's first value).
        var stride = UserEvidence.Stride(CountingModel.Dimension, 0);
        var firsts = Enumerable.Range(0, stored.EvidenceCount).Select(i => stored.Evidence.Span[i * stride]).Order();
        Assert.Equal(Enumerable.Range(0, 3).Concat(Enumerable.Range(100, 4)).Select(i => (float)i), firsts);

        // Three inferences: one per task, and the loser's again from the winner's state; none inside the lock.
        Assert.Equal([3, 4, 7], model.Log.Inferences.Select(i => i.Pairs).Order());
        Assert.All(model.Log.Inferences, i => Assert.False(i.InsideWriteLock, "inference ran inside the store's write lock"));
    }

    [Fact]
    public async Task A_user_that_changes_under_every_attempt_fails_with_a_typed_error_after_a_bounded_number_of_attempts()
    {
        using var watched = new LockWatchingStore(new InMemoryUserStateStore());
        using var model = CountingModel.Create(watched);
        var user = new UserId("u");
        await model.AdaptAsync(Pairs(user, 2));
        var inferencesBefore = model.Log.Inferences.Count;

        // Before every commit, another writer writes the user again.
        watched.BeforeUpdate = async () =>
        {
            var current = await watched.Inner.GetAsync(user);
            await watched.Inner.UpsertAsync(current! with { Revision = current.Revision + 1, UpdatedUtc = current.UpdatedUtc.AddTicks(1) });
        };

        var error = await Assert.ThrowsAsync<UserStateConflictException>(() => model.AdaptAsync(Pairs(user, 3, offset: 100)));

        Assert.Equal(user, error.User);
        Assert.Equal(UserAdapter.MaxAttempts, error.Attempts);
        Assert.Equal(UserAdapter.MaxAttempts, model.Log.Inferences.Count - inferencesBefore);
        Assert.All(model.Log.Inferences, i => Assert.False(i.InsideWriteLock));
        var stored = await watched.Inner.GetAsync(user);
        Assert.Equal(2, stored!.PairCount); // nothing of the failed adaptation was written
    }

    [Fact]
    public async Task A_stored_user_replaced_is_inferred_once_and_follows_the_stored_revision()
    {
        using var watched = new LockWatchingStore(new InMemoryUserStateStore());
        using var model = CountingModel.Create(watched);
        var user = new UserId("u");
        var first = Assert.Single((await model.AdaptAsync(Pairs(user, 4))).Users).State;
        var before = model.Log.Inferences.Count;

        var replaced = Assert.Single((await model.AdaptAsync(Pairs(user, 2, offset: 100), new AdaptationOptions { Replace = true })).Users);

        Assert.Equal(1, model.Log.Inferences.Count - before);
        Assert.Equal([2f], replaced.State.Vector.ToArray());
        Assert.Equal(2, replaced.State.PairCount);
        Assert.Equal(first.Revision + 1, replaced.State.Revision);
        Assert.Equal(first.CreatedUtc, replaced.State.CreatedUtc);
        Assert.Equal(replaced.State.Revision, (await watched.GetAsync(user))!.Revision);
    }

    [Fact]
    public void The_commit_expects_the_very_write_it_read_not_just_its_revision()
    {
        var written = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var read = new UserState { User = new UserId("u"), ModelKind = "k", ModelFingerprint = "f", Vector = new float[] { 1 }, Revision = 1, UpdatedUtc = written };

        Assert.True(UserStateCommit.IsSameWrite(read with { Vector = new float[] { 1 } }, read));
        Assert.True(UserStateCommit.IsSameWrite(null, null));
        Assert.False(UserStateCommit.IsSameWrite(read with { Revision = 2 }, read));
        Assert.False(UserStateCommit.IsSameWrite(null, read)); // deleted meanwhile
        Assert.False(UserStateCommit.IsSameWrite(read, null)); // created meanwhile

        // Deleted and written again from scratch: revision 1 again, but another write.
        Assert.False(UserStateCommit.IsSameWrite(read with { UpdatedUtc = written.AddTicks(1) }, read));
    }

    [Fact]
    public async Task Concurrent_adaptations_of_one_user_with_a_trained_method_on_litedb_keep_every_pair()
    {
        var population = Populations.SmallGroups;
        var kind = RewardModelKinds.BuiltIn.Get("pal");
        using var trained = kind.Train(kind.CreateDefaultOptions() with { Seed = 1, Threads = 1, Epochs = 1 }, population.ToDataset(population.Train));
        using var store = new LiteDbUserStateStore(":memory:");
        using var model = trained.WithUserStateStore(store);
        var unseen = population.ToDataset(population.TestUnseen);
        var user = unseen.Users[0];
        var records = unseen.RecordsByUser()[0];
        var parts = Enumerable.Range(0, 4).Select(p => unseen.Select(records.Where((_, i) => i % 4 == p).ToArray())).ToList();

        await Task.WhenAll(parts.Select(part => Task.Run(() => model.AdaptAsync(part))));

        var stored = await store.GetAsync(user);
        Assert.NotNull(stored);
        Assert.Equal(records.Length, stored.PairCount);
        Assert.Equal(Math.Min(records.Length, trained.Info.EvidenceCapacity), stored.EvidenceCount);
        Assert.Equal(4, stored.Revision);
    }

    private static IUserStateStore NewStore(string kind) => kind == "litedb" ? new LiteDbUserStateStore(":memory:") : new InMemoryUserStateStore();

    /// <summary>One user's pairs: pair i has chosen [offset + i, 0] and rejected [0, offset + i].</summary>
    private static PreferenceDataset Pairs(UserId user, int count, int offset = 0)
    {
        var builder = new PreferenceDatasetBuilder(CountingModel.Dimension);
        for (var i = 0; i < count; i++)
        {
            builder.Add(user, [offset + i, 0], [0, offset + i]);
        }

        return builder.Build();
    }

    /// <summary>
    /// A store decorator that knows when its inner store is inside an update, that is, holds the user's write lock
    /// (LiteDB runs the update function under its file's write lock; the in-memory store between its read and its
    /// compare-and-swap), and can run another writer just before each update.
    /// </summary>
    private sealed class LockWatchingStore(IUserStateStore inner) : IUserStateStore
    {
        private int _insideUpdate;
        private int _updates;

        public IUserStateStore Inner { get; } = inner;

        public Func<Task>? BeforeUpdate { get; set; }

        public bool InsideUpdate => Volatile.Read(ref _insideUpdate) > 0;

        public int Updates => Volatile.Read(ref _updates);

        public async ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _updates);
            if (BeforeUpdate is { } before)
            {
                await before();
            }

            return await Inner.UpdateAsync(
                user,
                current =>
                {
                    Interlocked.Increment(ref _insideUpdate);
                    try
                    {
                        return update(current);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _insideUpdate);
                    }
                },
                cancellationToken);
        }

        public ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default) => Inner.GetAsync(user, cancellationToken);

        public ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default) =>
            Inner.GetManyAsync(users, cancellationToken);

        public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default) => Inner.UpsertAsync(state, cancellationToken);

        public ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default) => Inner.UpsertManyAsync(states, cancellationToken);

        public ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default) => Inner.DeleteAsync(user, cancellationToken);

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => Inner.CountAsync(cancellationToken);

        public IAsyncEnumerable<UserState> ListAsync(CancellationToken cancellationToken = default) => Inner.ListAsync(cancellationToken);

        public void Dispose() => Inner.Dispose();
    }

    /// <summary>What the counting model's inference saw.</summary>
    private sealed class InferenceLog(LockWatchingStore store)
    {
        private readonly ConcurrentQueue<(int Pairs, bool InsideWriteLock)> _inferences = new();
        private int _calls;

        public IReadOnlyList<(int Pairs, bool InsideWriteLock)> Inferences => [.. _inferences];

        /// <summary>Called with the 1-based number of each inference, before it is logged.</summary>
        public Action<int>? OnInference { get; set; }

        public void Record(int pairs)
        {
            var insideLock = store.InsideUpdate;
            OnInference?.Invoke(Interlocked.Increment(ref _calls));
            _inferences.Enqueue((pairs, insideLock));
        }
    }

    /// <summary>A model whose state is the number of pairs it was inferred from, and which logs every inference.</summary>
    private sealed class CountingModel : TorchUserRewardModel
    {
        public const int Dimension = 2;

        private CountingModel(nn.Module population, TorchModelInfo info, IUserStateStore store, InferenceLog log)
            : base(population, info, store, CPU, ownsStore: false)
        {
            Log = log;
        }

        private CountingModel(CountingModel source, IUserStateStore store)
            : base(source, store)
        {
            Log = source.Log;
        }

        public InferenceLog Log { get; }

        protected override int StateSize => 1;

        public static CountingModel Create(LockWatchingStore store)
        {
            var info = new TorchModelInfo
            {
                Kind = "counting",
                ResponseDimension = Dimension,
                Options = JsonDocument.Parse("{}").RootElement,
                EvidenceCapacity = 100,
            };
            return new CountingModel(nn.Linear(Dimension, 1), info, store, new InferenceLog(store));
        }

        public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new CountingModel(this, store);

        protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) => throw new NotSupportedException();

        protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) => throw new NotSupportedException();

        protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken)
        {
            foreach (var pairs in evidence)
            {
                Log.Record(pairs.Count);
            }

            return [.. evidence.Select(pairs => new float[] { pairs.Count })];
        }

        protected override float[] ColdStartState() => [0];
    }
}
