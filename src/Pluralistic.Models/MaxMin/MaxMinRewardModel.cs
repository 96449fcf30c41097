using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// MaxMin (Chakraborty et al., 2024): K Bradley-Terry reward heads, one per latent group, learned by EM. A user's
/// state is their posterior over the groups; their reward is the expected reward <c>sum_k posterior_k r_k(x)</c>
/// (which is the most likely group's reward once the posterior is confident). New users' posteriors come from their
/// pairs' likelihood under each head and the group prior — no gradient steps. Through <see cref="IGroupRewardAggregation"/>
/// the heads aggregate for any population: utilitarian (weighted mean) or egalitarian (minimum over groups) of the
/// heads' rewards normalised on a reference set.
/// </summary>
public sealed class MaxMinRewardModel : TorchUserRewardModel, IUserGroups, IGroupRewardAggregation
{
    /// <summary>The model kind.</summary>
    public const string KindName = "maxmin";

    private readonly MaxMinNetwork _network;
    private readonly double[] _shares;
    private readonly float[] _mean;
    private readonly float[] _std;

    internal MaxMinRewardModel(MaxMinNetwork network, TorchModelInfo info, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;

        // cpu() returns a new handle even on the CPU: scope it so the copies do not outlive the constructor.
        using var scope = NewDisposeScope();
        _shares = network.Prior.cpu().data<float>().ToArray().Select(s => (double)s).ToArray();
        _mean = network.RewardMean.cpu().data<float>().ToArray();
        _std = network.RewardStd.cpu().data<float>().ToArray();
    }

    private MaxMinRewardModel(MaxMinRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
        _shares = source._shares;
        _mean = source._mean;
        _std = source._std;
    }

    /// <inheritdoc cref="IUserGroups.GroupCount" />
    public int GroupCount => _network.Groups;

    /// <inheritdoc />
    public IReadOnlyList<double> GroupShares => _shares;

    /// <inheritdoc />
    protected override int StateSize => _network.Groups;

    /// <inheritdoc />
    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new MaxMinRewardModel(this, store);

    /// <inheritdoc />
    public async Task<IReadOnlyList<UserGroupPosterior>> GetGroupPosteriorsAsync(
        IReadOnlyList<UserId> users, bool allowColdStart = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(users);
        var states = await ResolveStatesAsync(users, new ScoringOptions { AllowColdStart = allowColdStart }, cancellationToken).ConfigureAwait(false);
        var stored = allowColdStart
            ? await UserStates.GetManyAsync(users.Distinct(), cancellationToken).ConfigureAwait(false)
            : null;
        var k = GroupCount;
        return users.Select((user, u) => new UserGroupPosterior(
            user,
            states.AsSpan(u * k, k).ToArray().Select(p => (double)p).ToArray(),
            stored is not null && !stored.ContainsKey(user))).ToList();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UserGroupPosterior>> InferGroupPosteriorsAsync(PreferenceDataset pairs, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(pairs);
        CheckDimensions(pairs.ResponseDimension, pairs.PromptDimension, pairs.SourcePath ?? "pairs");
        var byUser = pairs.RecordsByUser();
        var perUser = byUser.Select(records => pairs.Select(records)).ToList();
        float[][] vectors;
        using (NewDisposeScope())
        {
            vectors = InferStates(perUser, cancellationToken);
        }

        IReadOnlyList<UserGroupPosterior> result = pairs.Users
            .Select((user, u) => new UserGroupPosterior(user, vectors[u].Select(p => (double)p).ToArray()))
            .ToList();
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<GroupRewards> ScoreGroupsAsync(ResponseBatch responses, ResponseBatch? reference = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(responses);
        CheckDimensions(responses.Dimension, responses.PromptDimension, "responses");
        var k = GroupCount;
        var raw = HeadRewards(responses, cancellationToken);
        float[] mean = _mean, std = _std;
        if (reference is not null)
        {
            CheckDimensions(reference.Dimension, reference.PromptDimension, "reference responses");
            if (reference.Count < 2)
            {
                throw new ArgumentException("a reference set needs at least two responses to normalise on", nameof(reference));
            }

            (mean, std) = ColumnStatistics(HeadRewards(reference, cancellationToken), k);
        }

        var normalized = new float[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            normalized[i] = (raw[i] - mean[i % k]) / std[i % k];
        }

        return Task.FromResult(new GroupRewards(responses.Count, k, raw, normalized));
    }

    /// <inheritdoc />
    public async Task<AggregatedRewards> AggregateAsync(ResponseBatch candidates, AggregationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= AggregationOptions.Default;
        var groupRewards = await ScoreGroupsAsync(candidates, options.Reference, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<double> weights = _shares;
        if (options.GroupWeights is not null)
        {
            weights = options.GroupWeights;
        }
        else if (options.Users is { Count: > 0 } users)
        {
            var posteriors = await GetGroupPosteriorsAsync(users, options.AllowColdStart, cancellationToken).ConfigureAwait(false);
            weights = Enumerable.Range(0, GroupCount).Select(g => posteriors.Sum(p => p.Posterior[g])).ToArray();
        }

        return AggregatedRewards.Compute(groupRewards, weights, options.MinimumGroupShare);
    }

    /// <inheritdoc />
    internal override IManagedScorer? CreateManagedScorer() => MaxMinManagedScorer.Create(_network);

    /// <inheritdoc />
    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) =>
        _network.call(responses, prompts).matmul(states.t());

    /// <inheritdoc />
    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) =>
        (_network.call(responses, prompts) * states).sum(1);

    /// <summary>
    /// Each user's posterior <c>softmax(log prior + sum_i w_i log sigmoid(r_k(c_i) - r_k(r_i)))</c>, for all users in one
    /// batch: the pairs of every user are scored together and summed per user.
    /// </summary>
    /// <inheritdoc />
    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken)
    {
        var d = Info.ResponseDimension;
        var dp = Info.PromptDimension;
        var rows = evidence.Sum(e => e.Count);
        var chosen = new float[rows * d];
        var rejected = new float[rows * d];
        var prompts = new float[rows * dp];
        var weights = new float[rows];
        var users = new long[rows];
        var row = 0;
        for (var u = 0; u < evidence.Count; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = evidence[u];
            e.ChosenVectors.Span.CopyTo(chosen.AsSpan(row * d));
            e.RejectedVectors.Span.CopyTo(rejected.AsSpan(row * d));
            e.PromptVectors.Span.CopyTo(prompts.AsSpan(row * dp));
            e.Weights.Span.CopyTo(weights.AsSpan(row));
            users.AsSpan(row, e.Count).Fill(u);
            row += e.Count;
        }

        using var scope = NewDisposeScope();
        var logLikelihoods = MaxMinMath.UserLogLikelihoods(
            _network,
            tensor(chosen, [rows, d], ScalarType.Float32, Device),
            tensor(rejected, [rows, d], ScalarType.Float32, Device),
            dp == 0 ? null : tensor(prompts, [rows, dp], ScalarType.Float32, Device),
            tensor(weights, [rows], ScalarType.Float32, Device),
            tensor(users, ScalarType.Int64, Device),
            evidence.Count);
        var posterior = MaxMinMath.Posterior(logLikelihoods, MaxMinMath.LogPrior(_shares));
        var k = GroupCount;
        return Enumerable.Range(0, evidence.Count).Select(u => posterior.AsSpan(u * k, k).ToArray().Select(p => (float)p).ToArray()).ToArray();
    }

    /// <summary>The group prior: the groups' shares of the training population.</summary>
    /// <inheritdoc />
    protected override float[] ColdStartState() => _shares.Select(s => (float)s).ToArray();

    /// <summary>Every head's raw reward of the responses, row-major [M, K], in chunks under <c>no_grad</c>.</summary>
    private float[] HeadRewards(ResponseBatch responses, CancellationToken cancellationToken)
    {
        var k = GroupCount;
        var m = responses.Count;
        var values = new float[m * k];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var start = 0; start < m; start += ScoringChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = Math.Min(ScoringChunk, m - start);
            using var chunkScope = NewDisposeScope();
            var x = tensor(responses.Responses.Slice(start * responses.Dimension, rows * responses.Dimension).ToArray(), [rows, responses.Dimension], ScalarType.Float32, Device);
            var p = responses.PromptDimension == 0
                ? null
                : tensor(responses.Prompts.Slice(start * responses.PromptDimension, rows * responses.PromptDimension).ToArray(), [rows, responses.PromptDimension], ScalarType.Float32, Device);
            _network.call(x, p).cpu().data<float>().CopyTo(values.AsSpan(start * k, rows * k));
        }

        return values;
    }

    private static (float[] Mean, float[] Std) ColumnStatistics(float[] values, int k)
    {
        var rows = values.Length / k;
        var mean = new float[k];
        var std = new float[k];
        for (var g = 0; g < k; g++)
        {
            double sum = 0, squares = 0;
            for (var i = 0; i < rows; i++)
            {
                sum += values[(i * k) + g];
            }

            var mu = sum / rows;
            for (var i = 0; i < rows; i++)
            {
                squares += Math.Pow(values[(i * k) + g] - mu, 2);
            }

            mean[g] = (float)mu;
            std[g] = (float)Math.Max(Math.Sqrt(squares / (rows - 1)), 1e-6);
        }

        return (mean, std);
    }
}
