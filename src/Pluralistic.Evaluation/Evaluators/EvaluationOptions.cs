namespace Pluralistic.Evaluation;

/// <summary>How <see cref="RewardModelEvaluator.EvaluateAsync"/> scores a file of labelled pairs.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Default options: score every record with the stored user states; unknown users are an error.</summary>
    public static EvaluationOptions Default { get; } = new();

    /// <summary>
    /// The first <c>ContextPairs</c> records of each user (in record, i.e. file, order) are context: the model adapts
    /// the user from them in a throw-away copy of its state store, and only the remaining records are scored and
    /// measured. 0 (the default) scores every record with the stored states.
    /// </summary>
    public int ContextPairs { get; init; }

    /// <summary>
    /// When set, each user's records from this position on (in record order) are the queries, and the records between
    /// the context pairs and it are neither adapted from nor scored — so that evaluations with different
    /// <see cref="ContextPairs"/> score the same queries, as the points of a few-shot curve do. At least
    /// <see cref="ContextPairs"/>. <see langword="null"/> (the default): the queries start right after the context pairs.
    /// </summary>
    public int? QueryStart { get; init; }

    /// <summary>
    /// When true, a user with no state (and no context pairs) is scored with the population-level (cold-start)
    /// state instead of failing with <see cref="UnknownUserException"/>.
    /// </summary>
    public bool AllowColdStart { get; init; }

    /// <summary>
    /// An explicit preference direction over named objectives used for every scored record instead of the users'
    /// states (models without objectives fail with <see cref="CapabilityNotSupportedException"/>).
    /// </summary>
    public IReadOnlyDictionary<string, double>? Direction { get; init; }

    /// <summary>
    /// When true, a user's stored state is ignored and the state is inferred from the context pairs alone; by default
    /// the context refines what the store holds (as <c>adapt</c> does). Only used with <see cref="ContextPairs"/> &gt; 0.
    /// </summary>
    public bool ReplaceStoredStates { get; init; }

    /// <summary>
    /// When true (requires <see cref="ContextPairs"/> &gt; 0), the users are adapted a second time from their context
    /// with every label flipped, and <see cref="EvaluationResult.ContextSensitivity"/> reports the fraction of query
    /// predictions whose side flips. A model that ignores its users scores 0.
    /// </summary>
    public bool MeasureContextSensitivity { get; init; }
}
