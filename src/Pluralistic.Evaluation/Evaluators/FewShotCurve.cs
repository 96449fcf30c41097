using System.Text.Json.Serialization;

namespace Pluralistic.Evaluation;

/// <summary>
/// Accuracy against the number of context pairs, every point measured on the same queries (each user's records
/// after the largest k), so that the points are comparable.
/// </summary>
public sealed record FewShotCurve
{
    /// <summary>One point per context size, in increasing order of k.</summary>
    public required IReadOnlyList<FewShotPoint> Points { get; init; }

    /// <summary>The query records (indices in the evaluated dataset, in record order), shared by every point.</summary>
    public required IReadOnlyList<int> QueryRecords { get; init; }

    /// <summary>
    /// The 0-based lines of the query records in the evaluated file, e.g. for the oracle's accuracy on the same
    /// queries (<c>OracleSplit.AccuracyOn</c>).
    /// </summary>
    public required IReadOnlyList<long> QueryLines { get; init; }

    /// <summary>The query records themselves (in the order of <see cref="QueryRecords"/>), when kept; not serialised.</summary>
    [JsonIgnore]
    public PreferenceDataset? QueryData { get; init; }

    /// <summary>The number of users measured.</summary>
    public required int Users { get; init; }

    /// <summary>The number of users left out because they have no record after the largest k.</summary>
    public required int SkippedUsers { get; init; }

    /// <summary>
    /// The point at <paramref name="contextPairs"/> as an evaluation of the queries — what
    /// <see cref="PairedComparison.Compare"/> takes to compare two curves at one k on the same queries.
    /// </summary>
    /// <param name="contextPairs">A context size of the curve.</param>
    /// <returns>The evaluation.</returns>
    /// <exception cref="ArgumentException">The curve has no such point, or it did not keep its predictions.</exception>
    public EvaluationResult EvaluationAt(int contextPairs)
    {
        var point = Points.FirstOrDefault(p => p.ContextPairs == contextPairs)
            ?? throw new ArgumentException($"the curve has no point at k = {contextPairs} (it has {string.Join(", ", Points.Select(p => p.ContextPairs))})", nameof(contextPairs));
        if (point.Predictions is null || QueryData is null)
        {
            throw new ArgumentException("the curve did not keep its predictions", nameof(contextPairs));
        }

        return new EvaluationResult
        {
            Metrics = point.Metrics,
            ScoredData = QueryData,
            Predictions = point.Predictions,
            Records = QueryRecords,
            Lines = QueryLines,
            Elapsed = point.AdaptationTime,
        };
    }
}
