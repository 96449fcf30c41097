namespace Pluralistic.Evaluation;

/// <summary>A group's true (hidden) reward of a response; <c>SyntheticPopulation.GroupReward</c> has this shape.</summary>
/// <param name="group">The true group's name.</param>
/// <param name="response">The response vector.</param>
/// <param name="prompt">The prompt vector (empty when none).</param>
/// <returns>The reward.</returns>
public delegate double TrueGroupReward(string group, ReadOnlySpan<float> response, ReadOnlySpan<float> prompt);

/// <summary>The sizes of a best-of-n experiment.</summary>
public sealed record BestOfNOptions
{
    /// <summary>Independent draws of candidates. Default 200.</summary>
    public int Trials { get; init; } = 200;

    /// <summary>Candidates per draw (n). Default 16.</summary>
    public int Candidates { get; init; } = 16;

    /// <summary>The population and normalisation of the aggregation; <see langword="null"/> for the model's defaults.</summary>
    public AggregationOptions? Aggregation { get; init; }
}

/// <summary>
/// Best-of-n under utilitarian and egalitarian aggregation, judged by the hidden truth: draw n candidates, let the
/// model pick one under each aggregation, and average every true group's hidden reward of the picks. Model-agnostic:
/// it needs only <see cref="IGroupRewardAggregation"/> and a source of candidates and truth (a synthetic population).
/// </summary>
public static class BestOfNExperiment
{
    /// <summary>Runs the experiment.</summary>
    /// <param name="aggregation">The model's aggregation (<c>model.GetService&lt;IGroupRewardAggregation&gt;()</c>).</param>
    /// <param name="drawCandidates">
    /// Draws the candidates of one trial: (trial index, n) to a batch of n responses; seed it from the trial index so the
    /// experiment is reproducible (for a synthetic population, <c>(t, n) =&gt; population.SampleResponses(n, seed + t)</c>).
    /// </param>
    /// <param name="groups">The true groups to report (for a synthetic population, <c>population.GroupNames</c>).</param>
    /// <param name="trueReward">Each true group's hidden reward of a response.</param>
    /// <param name="options">Trials, n and the aggregation's options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the experiment between trials.</param>
    /// <returns>Per true group, the mean hidden reward of the utilitarian pick, the egalitarian pick, a random pick and the group's own best.</returns>
    public static async Task<BestOfNReport> RunAsync(
        IGroupRewardAggregation aggregation,
        Func<int, int, ResponseBatch> drawCandidates,
        IReadOnlyList<string> groups,
        TrueGroupReward trueReward,
        BestOfNOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregation);
        ArgumentNullException.ThrowIfNull(drawCandidates);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(trueReward);
        options ??= new BestOfNOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Trials);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Candidates);
        if (groups.Count == 0)
        {
            throw new ArgumentException("at least one group is required", nameof(groups));
        }

        var g = groups.Count;
        var utilitarian = new double[g, options.Trials];
        var egalitarian = new double[g, options.Trials];
        var random = new double[g];
        var best = new double[g];
        var sameChoice = 0;
        for (var t = 0; t < options.Trials; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var candidates = drawCandidates(t, options.Candidates);
            if (candidates.Count == 0)
            {
                throw new ArgumentException($"trial {t} drew no candidates", nameof(drawCandidates));
            }

            var result = await aggregation.AggregateAsync(candidates, options.Aggregation, cancellationToken).ConfigureAwait(false);
            sameChoice += result.BestUtilitarian == result.BestEgalitarian ? 1 : 0;
            for (var j = 0; j < g; j++)
            {
                var truth = new double[candidates.Count];
                for (var m = 0; m < candidates.Count; m++)
                {
                    truth[m] = trueReward(groups[j], Row(candidates.Responses.Span, candidates.Dimension, m), Row(candidates.Prompts.Span, candidates.PromptDimension, m));
                }

                utilitarian[j, t] = truth[result.BestUtilitarian];
                egalitarian[j, t] = truth[result.BestEgalitarian];
                random[j] += truth.Average();
                best[j] += truth.Max();
            }
        }

        var outcomes = new List<BestOfNGroupOutcome>(g);
        for (var j = 0; j < g; j++)
        {
            var differences = Enumerable.Range(0, options.Trials).Select(t => egalitarian[j, t] - utilitarian[j, t]).ToArray();
            var meanDifference = differences.Average();
            var variance = options.Trials > 1 ? differences.Sum(d => (d - meanDifference) * (d - meanDifference)) / (options.Trials - 1) : double.NaN;
            outcomes.Add(new BestOfNGroupOutcome(
                groups[j],
                Enumerable.Range(0, options.Trials).Average(t => utilitarian[j, t]),
                Enumerable.Range(0, options.Trials).Average(t => egalitarian[j, t]),
                random[j] / options.Trials,
                best[j] / options.Trials,
                Math.Sqrt(variance / options.Trials)));
        }

        return new BestOfNReport(options.Trials, options.Candidates, (double)sameChoice / options.Trials, outcomes);
    }

    private static ReadOnlySpan<float> Row(ReadOnlySpan<float> values, int dimension, int row) =>
        dimension == 0 ? default : values.Slice(row * dimension, dimension);
}

/// <summary>What best-of-n under each aggregation gave every true group.</summary>
/// <param name="Trials">Draws of candidates.</param>
/// <param name="Candidates">n.</param>
/// <param name="SameChoiceRate">The fraction of trials in which both aggregations picked the same candidate.</param>
/// <param name="Groups">Per true group, the outcome.</param>
public sealed record BestOfNReport(int Trials, int Candidates, double SameChoiceRate, IReadOnlyList<BestOfNGroupOutcome> Groups)
{
    /// <summary>The outcome of one true group.</summary>
    /// <param name="group">The group's name.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="KeyNotFoundException">The report has no such group.</exception>
    public BestOfNGroupOutcome this[string group] =>
        Groups.FirstOrDefault(o => o.Group == group) ?? throw new KeyNotFoundException($"no group '{group}' in the report");
}

/// <summary>One true group's mean hidden reward of the picked responses.</summary>
/// <param name="Group">The group.</param>
/// <param name="Utilitarian">Mean hidden reward of the utilitarian best-of-n pick.</param>
/// <param name="Egalitarian">Mean hidden reward of the egalitarian best-of-n pick.</param>
/// <param name="RandomPick">Mean hidden reward of a uniformly random candidate (the mean over candidates).</param>
/// <param name="GroupBest">Mean hidden reward of the group's own best candidate (what a perfect reward for this group would pick).</param>
/// <param name="DifferenceStandardError">The standard error of <see cref="Difference"/> over trials (paired).</param>
public sealed record BestOfNGroupOutcome(string Group, double Utilitarian, double Egalitarian, double RandomPick, double GroupBest, double DifferenceStandardError)
{
    /// <summary>Egalitarian minus utilitarian: what the egalitarian pick gains (positive) or costs (negative) the group.</summary>
    public double Difference => Egalitarian - Utilitarian;

    /// <summary>The utilitarian pick's share of the room from a random pick to the group's best (1: the group's own choice).</summary>
    public double UtilitarianShareOfBest => Share(Utilitarian);

    /// <summary>The egalitarian pick's share of the room from a random pick to the group's best.</summary>
    public double EgalitarianShareOfBest => Share(Egalitarian);

    private double Share(double value) => GroupBest - RandomPick == 0 ? double.NaN : (value - RandomPick) / (GroupBest - RandomPick);
}
