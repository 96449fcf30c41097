namespace Pluralistic.Evaluation;

/// <summary>What <see cref="RewardModelEvaluator.EvaluateAsync"/> measured, and the predictions it measured.</summary>
public sealed record EvaluationResult
{
    /// <summary>The metrics of the scored records.</summary>
    public required PreferenceMetrics Metrics { get; init; }

    /// <summary>The scored records (all records, or the queries after each user's context), in record order.</summary>
    public required PreferenceDataset ScoredData { get; init; }

    /// <summary>One prediction per record of <see cref="ScoredData"/>.</summary>
    public required PairPredictions Predictions { get; init; }

    /// <summary>Per scored record, its index in the evaluated dataset.</summary>
    public required IReadOnlyList<int> Records { get; init; }

    /// <summary>Per scored record, its 0-based line in the evaluated file (its record index when built in memory).</summary>
    public required IReadOnlyList<long> Lines { get; init; }

    /// <summary>The number of context records the users were adapted from (0 without context pairs).</summary>
    public int ContextRecords { get; init; }

    /// <summary>The number of users with no record left to score after their context (they are not measured).</summary>
    public int UsersWithoutQueries { get; init; }

    /// <summary>
    /// The fraction of scored records whose predicted side flips when the users are adapted from their context with
    /// flipped labels; <see langword="null"/> unless <see cref="EvaluationOptions.MeasureContextSensitivity"/> was set.
    /// </summary>
    public double? ContextSensitivity { get; init; }

    /// <summary>Wall-clock time of the whole evaluation (adaptation and scoring included).</summary>
    public TimeSpan Elapsed { get; init; }
}
