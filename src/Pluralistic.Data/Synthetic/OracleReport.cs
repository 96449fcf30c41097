namespace Pluralistic.Data;

/// <summary>
/// What the hidden truth of a synthetic population achieves on its own splits: the accuracy of each user's true
/// reward (the oracle) and of the best single population-level reward, overall, per group and per line.
/// Written beside the data as <c>oracle.json</c>.
/// </summary>
public sealed record OracleReport
{
    /// <summary>The preset.</summary>
    public required string Preset { get; init; }

    /// <summary>The seed.</summary>
    public required int Seed { get; init; }

    /// <summary>What the preset models.</summary>
    public required string Description { get; init; }

    /// <summary>Each group's share of the users.</summary>
    public required IReadOnlyDictionary<string, double> GroupShares { get; init; }

    /// <summary>Per split (<c>train</c>, <c>test_seen</c>, <c>test_unseen</c>), the oracle figures.</summary>
    public required IReadOnlyDictionary<string, OracleSplit> Splits { get; init; }
}

/// <summary>Oracle figures of one split.</summary>
public sealed record OracleSplit
{
    /// <summary>Number of records.</summary>
    public required int Records { get; init; }

    /// <summary>Accuracy of each user's hidden reward on the sampled labels.</summary>
    public required double OracleAccuracy { get; init; }

    /// <summary>
    /// Accuracy of the best single reward: the population-mean hidden reward (the mean of the seen users' reward
    /// parameters), the target a non-personalised model aims for.
    /// </summary>
    public required double BestSingleRewardAccuracy { get; init; }

    /// <summary>Per group: oracle and best-single accuracy.</summary>
    public required IReadOnlyDictionary<string, OracleGroup> PerGroup { get; init; }

    /// <summary>Per line (0/1): whether the user's hidden reward ranks the pair as labelled.</summary>
    public required IReadOnlyList<byte> OracleCorrect { get; init; }

    /// <summary>Per line (0/1): whether the best single reward ranks the pair as labelled.</summary>
    public required IReadOnlyList<byte> BestSingleCorrect { get; init; }

    /// <summary>The oracle and best-single accuracy over a subset of lines (for example the queries after K context pairs).</summary>
    /// <param name="lines">0-based line indices.</param>
    /// <returns>Both accuracies; NaN when <paramref name="lines"/> is empty.</returns>
    public (double Oracle, double BestSingle) AccuracyOn(IEnumerable<long> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        double oracle = 0, single = 0;
        var n = 0;
        foreach (var line in lines)
        {
            oracle += OracleCorrect[(int)line];
            single += BestSingleCorrect[(int)line];
            n++;
        }

        return n == 0 ? (double.NaN, double.NaN) : (oracle / n, single / n);
    }
}

/// <summary>One generated record's oracle facts.</summary>
/// <param name="Group">The user's group index.</param>
/// <param name="OracleCorrect">Whether the user's hidden reward ranks the pair as labelled.</param>
/// <param name="SingleCorrect">Whether the population-mean hidden reward ranks the pair as labelled.</param>
internal readonly record struct OracleSample(int Group, bool OracleCorrect, bool SingleCorrect)
{
    /// <summary>Summarises the samples of one split.</summary>
    public static OracleSplit Summarize(IReadOnlyList<OracleSample> samples, IReadOnlyList<string> groupNames)
    {
        static double Mean(IEnumerable<bool> values) => values.Select(v => v ? 1.0 : 0).DefaultIfEmpty(double.NaN).Average();
        var perGroup = new Dictionary<string, OracleGroup>();
        for (var g = 0; g < groupNames.Count; g++)
        {
            var inGroup = samples.Where(s => s.Group == g).ToList();
            if (inGroup.Count > 0)
            {
                perGroup[groupNames[g]] = new OracleGroup(inGroup.Count, Mean(inGroup.Select(s => s.OracleCorrect)), Mean(inGroup.Select(s => s.SingleCorrect)));
            }
        }

        return new OracleSplit
        {
            Records = samples.Count,
            OracleAccuracy = Mean(samples.Select(s => s.OracleCorrect)),
            BestSingleRewardAccuracy = Mean(samples.Select(s => s.SingleCorrect)),
            PerGroup = perGroup,
            OracleCorrect = samples.Select(s => (byte)(s.OracleCorrect ? 1 : 0)).ToList(),
            BestSingleCorrect = samples.Select(s => (byte)(s.SingleCorrect ? 1 : 0)).ToList(),
        };
    }
}

/// <summary>Oracle figures of one group within a split.</summary>
/// <param name="Records">Records of the group.</param>
/// <param name="OracleAccuracy">Accuracy of the users' hidden rewards.</param>
/// <param name="BestSingleRewardAccuracy">Accuracy of the population-mean reward.</param>
public sealed record OracleGroup(int Records, double OracleAccuracy, double BestSingleRewardAccuracy);
