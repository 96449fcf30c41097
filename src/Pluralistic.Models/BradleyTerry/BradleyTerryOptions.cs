using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>The reward head of the Bradley-Terry baseline.</summary>
public enum RewardHead
{
    /// <summary>r(x) = w . [x ; prompt] + b: logistic regression on chosen - rejected.</summary>
    Linear,

    /// <summary>r(x) = MLP([x ; prompt]).</summary>
    Mlp,
}

/// <summary>Options of the Bradley-Terry baseline (one reward for everyone).</summary>
public sealed record BradleyTerryOptions : RewardTrainerOptions
{
    /// <summary>
    /// Creates options with the baseline's defaults: a [64] GELU head at learning rate 2e-3 for up to 100 epochs with
    /// patience 10 was the strongest setting across the synthetic presets (the prompt-dependent one needs the higher
    /// rate), so the baseline is not a straw man.
    /// </summary>
    public BradleyTerryOptions()
    {
        // Shared with the population anchor, which is trained as the baseline is.
        LearningRate = PopulationRewardOptions.BaselineLearningRate;
        Epochs = PopulationRewardOptions.BaselineEpochs;
        EarlyStoppingPatience = PopulationRewardOptions.BaselinePatience;
    }

    /// <summary>The head. Default <see cref="RewardHead.Mlp"/>.</summary>
    public RewardHead Head { get; init; } = RewardHead.Mlp;

    /// <summary>Hidden widths of the MLP head. Default [64].</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [PopulationRewardOptions.BaselineHiddenWidth];

    /// <summary>Nonlinearity of the MLP head. Default GELU.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>Dropout in the MLP head. Default 0.</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Reward centering coefficient c: adds <c>c * mean((r_c + r_r)^2)</c> so rewards stay near zero mean
    /// (0 turns it off; reward-model toolkits use about 0.01). Default 0.
    /// </summary>
    public double RewardCentering { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(HiddenSizes);
        if (HiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "hidden sizes must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Dropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(Dropout, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(RewardCentering);
    }
}
