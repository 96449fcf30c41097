namespace Pluralistic.Torch;

/// <summary>
/// The population reward's training: the Bradley-Terry baseline's defaults, which the population anchor is trained
/// with too, so that an anchored user with no weight of their own is scored exactly as the baseline scores them and an
/// anchored margin over the baseline measures personalisation alone (with the method's batch size and split the anchor
/// was a differently trained population reward, and on sparse data it alone moved new users' accuracy by points).
/// </summary>
internal sealed record PopulationRewardOptions : RewardTrainerOptions
{
    /// <summary>The baseline's learning rate (the prompt-dependent preset needs the higher rate).</summary>
    public const double BaselineLearningRate = 2e-3;

    /// <summary>The baseline's most epochs.</summary>
    public const int BaselineEpochs = 100;

    /// <summary>The baseline's early-stopping patience.</summary>
    public const int BaselinePatience = 10;

    /// <summary>The baseline's hidden width (one GELU layer).</summary>
    public const int BaselineHiddenWidth = 64;

    /// <summary>Creates the baseline's options, the shared defaults for everything else (batch, split, schedule).</summary>
    public PopulationRewardOptions()
    {
        LearningRate = BaselineLearningRate;
        Epochs = BaselineEpochs;
        EarlyStoppingPatience = BaselinePatience;

        // The baseline is not personalized, so it trains unanchored and splits its validation pairs as BT does.
        PopulationAnchor = false;
    }

    /// <summary>The baseline's options with a run's seed, device and threads.</summary>
    /// <param name="run">The run's options.</param>
    /// <returns>The options the anchor is trained with.</returns>
    public static PopulationRewardOptions For(RewardTrainerOptions run) =>
        new() { Seed = run.Seed, Device = run.Device, Threads = run.Threads };
}
