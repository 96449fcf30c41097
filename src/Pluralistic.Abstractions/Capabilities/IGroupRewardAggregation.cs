namespace Pluralistic;

/// <summary>How the rewards of several groups are combined into one reward for a population.</summary>
public enum RewardAggregation
{
    /// <summary>The population-weighted mean of the groups' normalised rewards (the sum of welfare).</summary>
    Utilitarian,

    /// <summary>The minimum over the groups of their normalised rewards (MaxMin: the worst-off group decides).</summary>
    Egalitarian,
}

/// <summary>
/// A model with one reward per latent group that can aggregate them for a population: the utilitarian reward
/// (population-weighted mean) and the egalitarian reward (minimum over groups), each over the groups' rewards
/// normalised on a reference set of responses so that their scales are comparable, and best-of-n under each.
/// Reached through <see cref="IUserRewardModel.GetService"/>.
/// </summary>
public interface IGroupRewardAggregation
{
    /// <summary>K, the number of groups.</summary>
    int GroupCount { get; }

    /// <summary>Every group's reward of every response, raw and normalised.</summary>
    /// <param name="responses">The M responses.</param>
    /// <param name="reference">
    /// Responses to normalise on (each group's reward is z-scored with its mean and standard deviation over this set);
    /// <see langword="null"/> for the statistics the model stored at training (over its training responses).
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>M x K rewards.</returns>
    Task<GroupRewards> ScoreGroupsAsync(ResponseBatch responses, ResponseBatch? reference = null, CancellationToken cancellationToken = default);

    /// <summary>The utilitarian and egalitarian rewards of candidate responses for a population, and the best candidate under each.</summary>
    /// <param name="candidates">The M candidates.</param>
    /// <param name="options">The population, the normalisation set, the smallest group share that counts; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Both aggregates.</returns>
    /// <exception cref="UnknownUserException">The population names a user without a state and cold start is off.</exception>
    Task<AggregatedRewards> AggregateAsync(ResponseBatch candidates, AggregationOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>Which population to aggregate for, and how.</summary>
public sealed record AggregationOptions
{
    /// <summary>Default options: the training population's group shares, training-time normalisation, groups of at least 5%.</summary>
    public static AggregationOptions Default { get; } = new();

    /// <summary>
    /// The population as users: each group weighs the sum of the users' posteriors (stored states; adapted new users
    /// count like seen ones). <see langword="null"/> (and no <see cref="GroupWeights"/>): the training population's shares.
    /// </summary>
    public IReadOnlyList<UserId>? Users { get; init; }

    /// <summary>The population as explicit group weights (non-negative, normalised to sum 1); overrides <see cref="Users"/>.</summary>
    public IReadOnlyList<double>? GroupWeights { get; init; }

    /// <summary>With <see cref="Users"/>, a user without a state counts with the prior instead of failing.</summary>
    public bool AllowColdStart { get; init; }

    /// <summary>
    /// Responses to normalise each group's reward on (z-score); <see langword="null"/> for the statistics stored at
    /// training. Pass the candidates themselves to normalise within the candidate set.
    /// </summary>
    public ResponseBatch? Reference { get; init; }

    /// <summary>
    /// Groups whose population weight is below this share do not enter the egalitarian minimum, so that a tiny or
    /// spurious group cannot dictate the choice (the known weakness of max-min). 0 counts every group with any
    /// weight. When no group reaches it, every group with a positive weight counts. Default 0.05.
    /// </summary>
    public double MinimumGroupShare { get; init; } = 0.05;
}

/// <summary>Every group's reward of M responses, raw and normalised, row-major (responses x groups).</summary>
public sealed class GroupRewards
{
    private readonly float[] _raw;
    private readonly float[] _normalized;

    /// <summary>Creates the matrix.</summary>
    /// <param name="responseCount">M.</param>
    /// <param name="groupCount">K.</param>
    /// <param name="raw">Row-major M x K raw rewards.</param>
    /// <param name="normalized">Row-major M x K normalised rewards.</param>
    public GroupRewards(int responseCount, int groupCount, float[] raw, float[] normalized)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(normalized);
        ArgumentOutOfRangeException.ThrowIfNegative(responseCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupCount);
        if (raw.Length != responseCount * groupCount || normalized.Length != raw.Length)
        {
            throw new ArgumentException($"expected {responseCount} x {groupCount} values in both matrices", nameof(raw));
        }

        ResponseCount = responseCount;
        GroupCount = groupCount;
        _raw = raw;
        _normalized = normalized;
    }

    /// <summary>M.</summary>
    public int ResponseCount { get; }

    /// <summary>K.</summary>
    public int GroupCount { get; }

    /// <summary>Raw rewards (each group's own scale), row-major M x K.</summary>
    public ReadOnlySpan<float> Raw => _raw;

    /// <summary>Normalised rewards (z-scores on the reference set), row-major M x K.</summary>
    public ReadOnlySpan<float> Normalized => _normalized;

    /// <summary>Group <paramref name="group"/>'s normalised reward of response <paramref name="response"/>.</summary>
    /// <param name="response">Row.</param>
    /// <param name="group">Column.</param>
    public float this[int response, int group] => _normalized[(response * GroupCount) + group];

    /// <summary>Group <paramref name="group"/>'s raw reward of response <paramref name="response"/>.</summary>
    /// <param name="response">Row.</param>
    /// <param name="group">Column.</param>
    /// <returns>The raw reward.</returns>
    public float RawAt(int response, int group) => _raw[(response * GroupCount) + group];
}

/// <summary>Utilitarian and egalitarian rewards of M candidates for one population, and the best candidate under each.</summary>
public sealed class AggregatedRewards
{
    private readonly float[] _utilitarian;
    private readonly float[] _egalitarian;

    private AggregatedRewards(GroupRewards groupRewards, double[] weights, int[] egalitarianGroups, float[] utilitarian, float[] egalitarian)
    {
        GroupRewards = groupRewards;
        GroupWeights = weights;
        EgalitarianGroups = egalitarianGroups;
        _utilitarian = utilitarian;
        _egalitarian = egalitarian;
        BestUtilitarian = ArgMax(utilitarian);
        BestEgalitarian = ArgMax(egalitarian);
    }

    /// <summary>The groups' rewards the aggregates were computed from.</summary>
    public GroupRewards GroupRewards { get; }

    /// <summary>The population's weight of each group (sums to 1).</summary>
    public IReadOnlyList<double> GroupWeights { get; }

    /// <summary>The groups that entered the egalitarian minimum.</summary>
    public IReadOnlyList<int> EgalitarianGroups { get; }

    /// <summary>Per candidate, the weighted mean of the groups' normalised rewards.</summary>
    public ReadOnlySpan<float> Utilitarian => _utilitarian;

    /// <summary>Per candidate, the minimum of the normalised rewards of <see cref="EgalitarianGroups"/>.</summary>
    public ReadOnlySpan<float> Egalitarian => _egalitarian;

    /// <summary>The candidate with the highest utilitarian reward (the lowest index on a tie; -1 without candidates).</summary>
    public int BestUtilitarian { get; }

    /// <summary>The candidate with the highest egalitarian reward (the lowest index on a tie; -1 without candidates).</summary>
    public int BestEgalitarian { get; }

    /// <summary>The rewards under one aggregation.</summary>
    /// <param name="aggregation">Which.</param>
    /// <returns>One reward per candidate.</returns>
    public float[] Rewards(RewardAggregation aggregation) => aggregation switch
    {
        RewardAggregation.Utilitarian => (float[])_utilitarian.Clone(),
        RewardAggregation.Egalitarian => (float[])_egalitarian.Clone(),
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation)),
    };

    /// <summary>The best candidate under one aggregation.</summary>
    /// <param name="aggregation">Which.</param>
    /// <returns>Its index.</returns>
    public int Best(RewardAggregation aggregation) => aggregation switch
    {
        RewardAggregation.Utilitarian => BestUtilitarian,
        RewardAggregation.Egalitarian => BestEgalitarian,
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation)),
    };

    /// <summary>
    /// Aggregates group rewards for a population: utilitarian = sum_k w_k z_k(x), egalitarian = min over the groups
    /// with w_k &gt;= <paramref name="minimumGroupShare"/> of z_k(x), where z are the normalised rewards.
    /// </summary>
    /// <param name="groupRewards">The groups' rewards of the candidates.</param>
    /// <param name="weights">The population's non-negative weight of each group (normalised here).</param>
    /// <param name="minimumGroupShare">The smallest share that enters the minimum (see <see cref="AggregationOptions.MinimumGroupShare"/>).</param>
    /// <returns>The aggregates.</returns>
    /// <exception cref="ArgumentException">The weights do not match the groups, are negative or not finite, or sum to 0.</exception>
    public static AggregatedRewards Compute(GroupRewards groupRewards, IReadOnlyList<double> weights, double minimumGroupShare)
    {
        ArgumentNullException.ThrowIfNull(groupRewards);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumGroupShare);
        var k = groupRewards.GroupCount;
        if (weights.Count != k)
        {
            throw new ArgumentException($"expected one weight per group ({k}), got {weights.Count}", nameof(weights));
        }

        if (weights.Any(w => !double.IsFinite(w) || w < 0))
        {
            throw new ArgumentException("group weights must be finite and non-negative", nameof(weights));
        }

        var total = weights.Sum();
        if (total <= 0)
        {
            throw new ArgumentException("group weights sum to 0", nameof(weights));
        }

        var normalizedWeights = weights.Select(w => w / total).ToArray();
        var counted = Enumerable.Range(0, k).Where(g => normalizedWeights[g] >= minimumGroupShare && normalizedWeights[g] > 0).ToArray();
        if (counted.Length == 0)
        {
            counted = Enumerable.Range(0, k).Where(g => normalizedWeights[g] > 0).ToArray();
        }

        var m = groupRewards.ResponseCount;
        var z = groupRewards.Normalized;
        var utilitarian = new float[m];
        var egalitarian = new float[m];
        for (var i = 0; i < m; i++)
        {
            var row = z.Slice(i * k, k);
            double sum = 0;
            for (var g = 0; g < k; g++)
            {
                sum += normalizedWeights[g] * row[g];
            }

            var min = float.PositiveInfinity;
            foreach (var g in counted)
            {
                min = Math.Min(min, row[g]);
            }

            utilitarian[i] = (float)sum;
            egalitarian[i] = min;
        }

        return new AggregatedRewards(groupRewards, normalizedWeights, counted, utilitarian, egalitarian);
    }

    private static int ArgMax(float[] values)
    {
        if (values.Length == 0)
        {
            return -1;
        }

        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
