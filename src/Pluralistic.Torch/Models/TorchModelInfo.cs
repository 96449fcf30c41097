using System.Text.Json;

namespace Pluralistic.Torch;

/// <summary>What a TorchSharp reward model is, besides its weights: kind, dimensions, options and training facts.</summary>
public sealed record TorchModelInfo
{
    /// <summary>The model kind.</summary>
    public required string Kind { get; init; }

    /// <summary>Response vector length.</summary>
    public required int ResponseDimension { get; init; }

    /// <summary>Prompt vector length (0: none).</summary>
    public int PromptDimension { get; init; }

    /// <summary>Named objectives (multi-objective models).</summary>
    public IReadOnlyList<string> ObjectiveNames { get; init; } = [];

    /// <summary>Whether the model personalises.</summary>
    public bool IsPersonalized { get; init; } = true;

    /// <summary>The model's options serialized as JSON (for the manifest).</summary>
    public required JsonElement Options { get; init; }

    /// <summary>A short human description.</summary>
    public string? Description { get; init; }

    /// <summary>The most recent pairs retained per user.</summary>
    public int EvidenceCapacity { get; init; } = 20;

    /// <summary>The training seed.</summary>
    public int Seed { get; init; }

    /// <summary>What the model was trained on.</summary>
    public TrainingDataInfo? TrainingData { get; init; }

    /// <summary>Training metrics (recorded in the manifest).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The text embedder that made the training vectors, when the model was opened from a run trained on text.</summary>
    public TextEmbedderInfo? TextEmbedder { get; init; }

    /// <summary>The population reward the model is anchored to, or <see langword="null"/> (not anchored: runs saved before anchoring, or trained without it).</summary>
    public PopulationAnchorInfo? PopulationAnchor { get; init; }

    /// <summary>The number of catalogue items whose effect the population reward learned (see <see cref="RunManifest.ItemEffects"/>).</summary>
    public int ItemEffects { get; init; }

    /// <summary>This description with what a saved run recorded at training time: seed, training data, metrics, text embedder, population anchor and item effects.</summary>
    /// <param name="manifest">The run's manifest.</param>
    /// <returns>The description of the loaded model.</returns>
    public TorchModelInfo FromManifest(RunManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return this with { Seed = manifest.Seed, TrainingData = manifest.TrainingData, Metrics = manifest.Metrics, TextEmbedder = manifest.TextEmbedder, PopulationAnchor = manifest.PopulationAnchor, ItemEffects = manifest.ItemEffects };
    }
}
