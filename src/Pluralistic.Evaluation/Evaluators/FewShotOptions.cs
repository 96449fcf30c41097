namespace Pluralistic.Evaluation;

/// <summary>How <see cref="RewardModelEvaluator.FewShotCurveAsync"/> measures accuracy against the number of context pairs.</summary>
public sealed record FewShotOptions
{
    /// <summary>The context sizes of the product's few-shot curve: 1, 2, 5, 10 and 20 pairs.</summary>
    public static IReadOnlyList<int> DefaultContextSizes { get; } = [1, 2, 5, 10, 20];

    /// <summary>Default options.</summary>
    public static FewShotOptions Default { get; } = new();

    /// <summary>
    /// The numbers of context pairs k to measure (each &gt;= 0; duplicates are ignored). k = 0 measures the
    /// population-level (cold-start) prediction.
    /// </summary>
    public IReadOnlyList<int> ContextSizes { get; init; } = DefaultContextSizes;
}
