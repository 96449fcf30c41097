namespace Pluralistic;

/// <summary>Describes a per-user reward model: what it is and what inputs it takes.</summary>
public sealed record RewardModelMetadata
{
    /// <summary>The method, for example <c>bt</c>, <c>pal</c>, <c>vpl</c>, <c>maxmin</c>, <c>dpa</c>, <c>fspo</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The length of response vectors the model scores.</summary>
    public required int ResponseDimension { get; init; }

    /// <summary>The length of prompt vectors the model reads; 0 when it reads none.</summary>
    public int PromptDimension { get; init; }

    /// <summary>
    /// A fingerprint of the population parameters (SHA-256 of the weights). User states record the fingerprint of
    /// the model they were inferred for, so a state is never silently used with another model.
    /// </summary>
    public required string Fingerprint { get; init; }

    /// <summary>Whether the model personalises (false for the Bradley-Terry baseline).</summary>
    public bool IsPersonalized { get; init; } = true;

    /// <summary>Named objectives, for multi-objective models; empty otherwise.</summary>
    public IReadOnlyList<string> ObjectiveNames { get; init; } = [];

    /// <summary>A short human description of the model and its options.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// The text embedder that made the model's training vectors, when the model was opened from a run trained on text;
    /// text scored with any other embedder is an <see cref="EmbedderMismatchException"/>.
    /// </summary>
    public TextEmbedderInfo? TextEmbedder { get; init; }
}
