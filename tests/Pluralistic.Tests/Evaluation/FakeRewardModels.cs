using System.Collections.Concurrent;

namespace Pluralistic.Tests.Evaluation;

/// <summary>What fake models and their views did, shared by a model and every view of it.</summary>
public sealed class FakeModelProbe
{
    private int _viewsCreated;
    private int _viewsDisposed;

    public ConcurrentQueue<long[]> ScoredLines { get; } = new();

    public ConcurrentQueue<int> AdaptedRecordCounts { get; } = new();

    public int ViewsCreated => Volatile.Read(ref _viewsCreated);

    public int ViewsDisposed => Volatile.Read(ref _viewsDisposed);

    public void ViewCreated() => Interlocked.Increment(ref _viewsCreated);

    public void ViewDisposed() => Interlocked.Increment(ref _viewsDisposed);
}

/// <summary>
/// A per-user linear reward whose state is the mean of (chosen - rejected) over the user's pairs: r_u(x) = state_u . x.
/// With <c>ignoreUsers</c>, the reward is a fixed linear function for everyone (states are still written).
/// </summary>
public sealed class MeanDifferenceModel : IUserRewardModel, IUserStateStoreAccessor
{
    private readonly int _dimension;
    private readonly bool _ignoreUsers;
    private readonly bool _isView;
    private readonly FakeModelProbe _probe;

    public MeanDifferenceModel(int dimension, IUserStateStore store, bool ignoreUsers = false, FakeModelProbe? probe = null)
        : this(dimension, store, ignoreUsers, probe ?? new FakeModelProbe(), isView: false)
    {
    }

    private MeanDifferenceModel(int dimension, IUserStateStore store, bool ignoreUsers, FakeModelProbe probe, bool isView)
    {
        _dimension = dimension;
        _ignoreUsers = ignoreUsers;
        _probe = probe;
        _isView = isView;
        UserStates = store;
        Metadata = new RewardModelMetadata
        {
            Kind = ignoreUsers ? "fake-fixed" : "fake-mean",
            ResponseDimension = dimension,
            Fingerprint = "fake",
            IsPersonalized = !ignoreUsers,
        };
    }

    public RewardModelMetadata Metadata { get; }

    public IUserStateStore UserStates { get; }

    public FakeModelProbe Probe => _probe;

    public IUserRewardModel WithUserStateStore(IUserStateStore store)
    {
        _probe.ViewCreated();
        return new MeanDifferenceModel(_dimension, store, _ignoreUsers, _probe, isView: true);
    }

    public async Task<RewardMatrix> ScoreAsync(IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        var states = await StatesAsync(users, options ?? ScoringOptions.Default, cancellationToken);
        var values = new float[responses.Count * users.Count];
        for (var m = 0; m < responses.Count; m++)
        {
            for (var n = 0; n < users.Count; n++)
            {
                values[(m * users.Count) + n] = Reward(states[n], responses.Responses.Span.Slice(m * _dimension, _dimension));
            }
        }

        return new RewardMatrix(users, responses.Count, values);
    }

    public async Task<PairPredictions> ScorePairsAsync(PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _probe.ScoredLines.Enqueue(Enumerable.Range(0, pairs.Count).Select(pairs.LineAt).ToArray());
        var states = await StatesAsync(pairs.Users, options ?? ScoringOptions.Default, cancellationToken);
        var chosen = new float[pairs.Count];
        var rejected = new float[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            var state = states[pairs.UserIndices.Span[i]];
            chosen[i] = Reward(state, pairs.ChosenVector(i));
            rejected[i] = Reward(state, pairs.RejectedVector(i));
        }

        return new PairPredictions(chosen, rejected);
    }

    public async Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= AdaptationOptions.Default;
        cancellationToken.ThrowIfCancellationRequested();
        _probe.AdaptedRecordCounts.Enqueue(pairs.Count);
        var previous = options.Replace ? new Dictionary<UserId, UserState>() : await UserStates.GetManyAsync(pairs.Users, cancellationToken);
        var byUser = pairs.RecordsByUser();
        var adapted = new List<UserAdaptation>();
        for (var u = 0; u < pairs.Users.Count; u++)
        {
            var user = pairs.Users[u];
            var sum = new float[_dimension];
            var count = 0;
            if (previous.TryGetValue(user, out var earlier))
            {
                for (var j = 0; j < _dimension; j++)
                {
                    sum[j] = earlier.Vector.Span[j] * earlier.PairCount;
                }

                count = earlier.PairCount;
            }

            foreach (var i in byUser[u])
            {
                for (var j = 0; j < _dimension; j++)
                {
                    sum[j] += pairs.ChosenVector(i)[j] - pairs.RejectedVector(i)[j];
                }
            }

            count += byUser[u].Length;
            var state = new UserState
            {
                User = user,
                ModelKind = Metadata.Kind,
                ModelFingerprint = Metadata.Fingerprint,
                Vector = sum.Select(v => v / count).ToArray(),
                PairCount = count,
                Revision = (earlier?.Revision ?? 0) + 1,
            };
            adapted.Add(new UserAdaptation(user, byUser[u].Length, count, earlier is null, state));
        }

        if (options.Persist)
        {
            await UserStates.UpsertManyAsync(adapted.Select(a => a.State), cancellationToken);
        }

        return new AdaptationResult(adapted, TimeSpan.Zero);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        if (_isView)
        {
            _probe.ViewDisposed();
        }
    }

    private async Task<float[][]> StatesAsync(IReadOnlyList<UserId> users, ScoringOptions options, CancellationToken cancellationToken)
    {
        var found = await UserStates.GetManyAsync(users, cancellationToken);
        var states = new float[users.Count][];
        for (var n = 0; n < users.Count; n++)
        {
            if (found.TryGetValue(users[n], out var state))
            {
                states[n] = state.Vector.ToArray();
            }
            else if (options.AllowColdStart)
            {
                states[n] = new float[_dimension];
            }
            else
            {
                throw new UnknownUserException(users[n]);
            }
        }

        return states;
    }

    private float Reward(float[] state, ReadOnlySpan<float> response)
    {
        float reward = 0;
        for (var j = 0; j < _dimension; j++)
        {
            // The user-blind variant has a fixed taste: the sum of the components.
            reward += (_ignoreUsers ? 1f : state[j]) * response[j];
        }

        return reward;
    }
}

/// <summary>A model without a state store accessor (it cannot be evaluated with context pairs).</summary>
public sealed class StorelessModel(MeanDifferenceModel inner) : DelegatingUserRewardModel(inner)
{
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(IUserStateStoreAccessor) ? null : base.GetService(serviceType, serviceKey);
}

/// <summary>Users with a hidden linear taste from two opposing groups; labels follow the taste exactly.</summary>
public static class OpposingUsers
{
    public const int Dimension = 4;

    public static PreferenceDataset Generate(int users, int pairsPerUser, int seed, string prefix = "u", Func<int, int>? pairsOf = null)
    {
        var random = new Random(seed);
        var taste = new float[] { 1f, -0.5f, 0.8f, 0.2f };
        var builder = new PreferenceDatasetBuilder(Dimension);
        var perUser = Enumerable.Range(0, users).Select(u => pairsOf?.Invoke(u) ?? pairsPerUser).ToArray();

        // Interleave users (round robin) so that record order differs from user order, as in real files.
        for (var round = 0; round < perUser.Max(); round++)
        {
            for (var u = 0; u < users; u++)
            {
                if (round >= perUser[u])
                {
                    continue;
                }

                var sign = u % 3 == 0 ? -1f : 1f;
                var a = Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                var b = Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                var margin = Enumerable.Range(0, Dimension).Sum(j => sign * taste[j] * (a[j] - b[j]));
                var (chosen, rejected) = margin >= 0 ? (a, b) : (b, a);
                builder.Add(new UserId($"{prefix}{u}"), chosen, rejected, extras: new PreferenceRecordExtras { Group = sign < 0 ? "minority" : "majority" });
            }
        }

        return builder.Build();
    }
}
