using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pluralistic.Data;

/// <summary>
/// One line of a preference JSONL file, as written (row form). Keys are snake_case; unknown keys are kept in
/// <see cref="ExtensionData"/> so a record re-written keeps them.
/// </summary>
public sealed class PreferenceRecord
{
    /// <summary>Who expressed the preference.</summary>
    public string? UserId { get; set; }

    /// <summary>The prompt text.</summary>
    public string? Prompt { get; set; }

    /// <summary>The preferred response text.</summary>
    public string? Chosen { get; set; }

    /// <summary>The other response text.</summary>
    public string? Rejected { get; set; }

    /// <summary>The prompt as a vector.</summary>
    public float[]? PromptEmbedding { get; set; }

    /// <summary>The preferred response as a vector.</summary>
    public float[]? ChosenEmbedding { get; set; }

    /// <summary>The other response as a vector.</summary>
    public float[]? RejectedEmbedding { get; set; }

    /// <summary>Per-objective ratings of the chosen response.</summary>
    public Dictionary<string, double>? ChosenAttributes { get; set; }

    /// <summary>Per-objective ratings of the rejected response.</summary>
    public Dictionary<string, double>? RejectedAttributes { get; set; }

    /// <summary>An explicit preference direction over named objectives (used when scoring, never for training).</summary>
    public Dictionary<string, double>? Direction { get; set; }

    /// <summary>An evaluation label; training never reads it.</summary>
    public string? Group { get; set; }

    /// <summary>Example weight, default 1.</summary>
    public double? Weight { get; set; }

    /// <summary>Keys this SDK does not know, preserved on re-write.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>One line of a prediction file written by <c>pluralistic predict</c>.</summary>
/// <param name="Line">The 0-based line index of the scored record in the input file.</param>
/// <param name="UserId">The record's user.</param>
/// <param name="PChosen">P(chosen beats rejected) for this user.</param>
/// <param name="RewardChosen">The chosen response's reward for this user.</param>
/// <param name="RewardRejected">The rejected response's reward for this user.</param>
public sealed record PredictionRecord(long Line, string UserId, double PChosen, double RewardChosen, double RewardRejected);

/// <summary>System.Text.Json source-generated metadata for the file formats.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(PreferenceRecord))]
[JsonSerializable(typeof(PredictionRecord))]
[JsonSerializable(typeof(string))]
internal sealed partial class PreferenceJsonContext : JsonSerializerContext;
