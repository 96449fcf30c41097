using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pluralistic.Torch;

/// <summary>
/// <c>manifest.json</c> of a run directory: what the model is, how it was trained and the SHA-256 of its weights.
/// Field names are snake_case; the format is versioned by <see cref="FormatVersion"/>.
/// </summary>
public sealed record RunManifest
{
    /// <summary>The value of <see cref="Format"/> in every manifest this SDK writes.</summary>
    public const string FormatName = "pluralistic-run";

    /// <summary>The newest format version this SDK reads and the one it writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Marks the file as a Pluralistic run manifest.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The layout version.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The model kind (<c>bt</c>, <c>pal</c>, ...).</summary>
    public required string ModelKind { get; init; }

    /// <summary>The SDK version that wrote the run.</summary>
    public string? PluralisticVersion { get; init; }

    /// <summary>When the run was written (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Response vector length.</summary>
    public required int ResponseDimension { get; init; }

    /// <summary>Prompt vector length (0: none).</summary>
    public int PromptDimension { get; init; }

    /// <summary>Named objectives (multi-objective models).</summary>
    public IReadOnlyList<string> ObjectiveNames { get; init; } = [];

    /// <summary>The model's options as JSON (the kind's own options type).</summary>
    public required JsonElement Options { get; init; }

    /// <summary>The training seed.</summary>
    public int Seed { get; init; }

    /// <summary>What the model was trained on.</summary>
    public TrainingDataInfo? TrainingData { get; init; }

    /// <summary>Training metrics (validation accuracy, seconds, reward mean and std, ...).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The weights file and its hash.</summary>
    public required WeightsInfo Weights { get; init; }

    /// <summary>Where the per-user states are.</summary>
    public UserStoreInfo? UserStore { get; init; }

    /// <summary>
    /// The hashed n-gram generator's file in the run directory, when the run embedded text with it. Runs written before
    /// <see cref="TextEmbedder"/> existed have only this (they are hashed); newer hashed runs write both.
    /// </summary>
    public string? EmbeddingGeneratorFile { get; init; }

    /// <summary>The text embedder that made the training vectors (name, model, version, dimension, probe sketch), when the run was trained on text.</summary>
    public TextEmbedderInfo? TextEmbedder { get; init; }

    /// <summary>The population reward a personalized model is anchored to (its weights are in the weights file); absent for runs saved before anchoring.</summary>
    public PopulationAnchorInfo? PopulationAnchor { get; init; }

    /// <summary>
    /// The number of catalogue items whose effect the population reward learned (the baseline's network, or the anchor
    /// of a personalized model): their keys and offsets are in the weights file. 0 (absent in runs saved before item
    /// effects) when it learned none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int ItemEffects { get; init; }
}

/// <summary>What a model was trained on.</summary>
/// <param name="Fingerprint">XxHash128 of the training data's content (see <see cref="PreferenceDataset.ComputeFingerprint"/>).</param>
/// <param name="Records">Records.</param>
/// <param name="Users">Distinct users.</param>
/// <param name="Source">The file name, when it came from a file.</param>
public sealed record TrainingDataInfo(string Fingerprint, int Records, int Users, string? Source);

/// <summary>The weights file of a run.</summary>
/// <param name="File">File name within the run directory.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file; also the model's fingerprint.</param>
/// <param name="Bytes">File length.</param>
public sealed record WeightsInfo(string File, string Sha256, long Bytes);

/// <summary>The user state store of a run.</summary>
/// <param name="Kind">Store kind (<c>litedb</c>).</param>
/// <param name="File">File name within the run directory.</param>
public sealed record UserStoreInfo(string Kind, string File);

/// <summary>Source-generated JSON metadata for the checkpoint format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RunManifest))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
