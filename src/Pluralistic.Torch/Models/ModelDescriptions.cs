namespace Pluralistic.Torch;

/// <summary>What a TorchSharp reward model tells the outside about itself: its metadata and its run manifest.</summary>
internal static class ModelDescriptions
{
    /// <summary>The metadata of a model.</summary>
    /// <param name="info">What the model is.</param>
    /// <param name="fingerprint">The fingerprint of its weights.</param>
    /// <returns>The metadata.</returns>
    public static RewardModelMetadata Metadata(TorchModelInfo info, string fingerprint) => new()
    {
        Kind = info.Kind,
        ResponseDimension = info.ResponseDimension,
        PromptDimension = info.PromptDimension,
        Fingerprint = fingerprint,
        IsPersonalized = info.IsPersonalized,
        ObjectiveNames = info.ObjectiveNames,
        Description = info.Description,
        TextEmbedder = info.TextEmbedder,
    };

    /// <summary>The manifest of a model (weights info is filled in by <see cref="Checkpoint.Write"/>).</summary>
    /// <param name="info">What the model is.</param>
    /// <param name="fingerprint">The fingerprint of its weights.</param>
    /// <returns>The manifest.</returns>
    public static RunManifest Manifest(TorchModelInfo info, string fingerprint) => new()
    {
        ModelKind = info.Kind,
        PluralisticVersion = typeof(TorchUserRewardModel).Assembly.GetName().Version?.ToString(3),
        CreatedUtc = DateTimeOffset.UtcNow,
        ResponseDimension = info.ResponseDimension,
        PromptDimension = info.PromptDimension,
        ObjectiveNames = info.ObjectiveNames,
        Options = info.Options,
        Seed = info.Seed,
        TrainingData = info.TrainingData,
        Metrics = info.Metrics,
        PopulationAnchor = info.PopulationAnchor,
        ItemEffects = info.ItemEffects,
        Weights = new WeightsInfo(Checkpoint.WeightsFile, fingerprint, 0),
    };
}
