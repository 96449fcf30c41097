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

    /// <summary>The number of users measured.</summary>
    public required int Users { get; init; }

    /// <summary>The number of users left out because they have no record after the largest k.</summary>
    public required int SkippedUsers { get; init; }
}
