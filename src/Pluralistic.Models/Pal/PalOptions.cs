using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Pal;

/// <summary>Which PAL reward: a fixed ideal point per user (A) or a prompt-conditioned one (B).</summary>
public enum PalVariant
{
    /// <summary>
    /// PAL-A: reward = -|| f(x) - f(w_u P) ||, the distance between the projected response and the user's ideal point,
    /// a softmax mixture of K prototypes in the input space mapped by the same projector f.
    /// </summary>
    A,

    /// <summary>
    /// PAL-B: reward = s * cos(f(y), sum_k w_uk g_k(prompt)), the ideal point a mixture of K prompt projectors; s is a
    /// learnable scale, capped. Without prompts the g_k are K learnt vectors.
    /// </summary>
    B,
}

/// <summary>The loss on reward margins m = r_chosen - r_rejected.</summary>
public enum PalLoss
{
    /// <summary>Bradley-Terry: -log sigmoid(m). Calibrated probabilities; the default.</summary>
    Logistic,

    /// <summary>Hinge: max(0, margin - m), as in the reference code (margin 1).</summary>
    Hinge,
}

/// <summary>How the K prototypes start.</summary>
public enum PrototypeInitialization
{
    /// <summary>Gaussian vectors scaled to unit expected norm (the reference's initialisation).</summary>
    Gaussian,

    /// <summary>K distinct training responses picked at random (with their prompts for PAL-A), so prototypes start in the data.</summary>
    Responses,
}

/// <summary>
/// Options of PAL (Chen et al., 2024): K shared prototypes, per-user mixture weights w_u = softmax(W_u), a response
/// projector and (PAL-B) K prompt projectors. A user's state is the K logits W_u. Defaults were tuned on the
/// synthetic presets (docs/models/pal.md).
/// </summary>
public sealed record PalOptions : RewardTrainerOptions
{
    /// <summary>K when <see cref="Prototypes"/> is 0 and the data has no prompts.</summary>
    public const int DefaultPrototypes = 32;

    /// <summary>K when <see cref="Prototypes"/> is 0 and the data has prompts.</summary>
    public const int DefaultPromptPrototypes = 4;

    /// <summary>
    /// Creates options with PAL's defaults (tuned on the synthetic presets, docs/models/pal.md).
    /// <see cref="RewardTrainerOptions.LearningRate"/> (2e-3) and <see cref="RewardTrainerOptions.WeightDecay"/> (2)
    /// apply to the projectors and the reward scale; prototypes and seen users' logits use
    /// <see cref="PrototypeLearningRate"/>. Training runs a fixed 30 epochs on all of every user's pairs
    /// (<see cref="RewardTrainerOptions.ValidationFraction"/> 0): with a few pairs per user, held-out pairs are too
    /// noisy to stop on, and weight decay regularises instead. Set a validation fraction to get early stopping.
    /// </summary>
    public PalOptions()
    {
        LearningRate = 2e-3;
        WeightDecay = 2;
        Epochs = 30;
        ValidationFraction = 0;
        EarlyStoppingPatience = 10;
    }

    /// <summary>The variant. Default <see cref="PalVariant.B"/> (more accurate on every preset; docs/models/pal.md).</summary>
    public PalVariant Variant { get; init; } = PalVariant.B;

    /// <summary>
    /// K, the number of shared prototypes (and of mixture weights in every user's state); 0 picks by the data's shape:
    /// <see cref="DefaultPrototypes"/> (32) without prompts, <see cref="DefaultPromptPrototypes"/> (4) with prompts,
    /// where every prototype is a whole prompt projector and a large K lets users overfit. Default 0.
    /// </summary>
    public int Prototypes { get; init; }

    /// <summary>K for data with <paramref name="promptDimension"/>-long prompts (0: none).</summary>
    /// <param name="promptDimension">The prompt vector length.</param>
    /// <returns><see cref="Prototypes"/>, or the default for the data's shape when it is 0.</returns>
    public int ResolvePrototypes(int promptDimension) =>
        Prototypes > 0 ? Prototypes : promptDimension > 0 ? DefaultPromptPrototypes : DefaultPrototypes;

    /// <summary>Width of the preference space the projectors map into. Default 32.</summary>
    public int PreferenceDimension { get; init; } = 32;

    /// <summary>Hidden widths of the response projector f. Default [64].</summary>
    public IReadOnlyList<int> ProjectorHiddenSizes { get; init; } = [64];

    /// <summary>Hidden widths of the prompt projectors g_k (PAL-B; one shared hidden trunk, K output heads). Default [128].</summary>
    public IReadOnlyList<int> PromptProjectorHiddenSizes { get; init; } = [128];

    /// <summary>Nonlinearity of the projectors. Default SiLU.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Dropout in the projectors (training only). Default 0.</summary>
    public double Dropout { get; init; }

    /// <summary>The training loss. Default <see cref="PalLoss.Logistic"/>.</summary>
    public PalLoss Loss { get; init; } = PalLoss.Logistic;

    /// <summary>The hinge loss margin (with <see cref="PalLoss.Hinge"/>). Default 1.</summary>
    public double HingeMargin { get; init; } = 1.0;

    /// <summary>
    /// Peak learning rate of the prototypes and the seen users' logits. Default 5e-2 (the reference's 5e-3 left
    /// users under-fitted in 30 epochs: each user's logits get a gradient only from that user's few pairs).
    /// </summary>
    public double PrototypeLearningRate { get; init; } = 5e-2;

    /// <summary>Decoupled weight decay of the seen users' logits (pulls them toward the uniform mixture). Default 0.</summary>
    public double UserWeightDecay { get; init; }

    /// <summary>How the prototypes start. Default <see cref="PrototypeInitialization.Gaussian"/>.</summary>
    public PrototypeInitialization PrototypeInitialization { get; init; } = PrototypeInitialization.Gaussian;

    /// <summary>The learnable reward scale's initial value (the reference's 1/0.07). Default 14.29.</summary>
    public double InitialScale { get; init; } = 1 / 0.07;

    /// <summary>The cap on the learnable reward scale (the reference's). Default 100.</summary>
    public double MaxScale { get; init; } = 100;

    /// <summary>
    /// Adam steps when fitting users' logits from their pairs (everything else frozen; all users of a call in one
    /// batched, full-batch optimisation that starts at the population's logits). Default 60.
    /// </summary>
    public int AdaptationSteps { get; init; } = 60;

    /// <summary>Adam learning rate when fitting a user's logits. Default 0.1.</summary>
    public double AdaptationLearningRate { get; init; } = 0.1;

    /// <summary>
    /// Strength of the prior on a new user's logits: a Gaussian with the mean and covariance of the seen users'
    /// (centred) logits, so a fit moves along the directions in which users actually differ and one or two pairs
    /// move a user less than twenty. The fit minimises the sum of the user's pair losses plus strength / 2 times the
    /// prior's Mahalanobis distance. 0 turns it off. Default 3.
    /// </summary>
    public double AdaptationPriorStrength { get; init; } = 3;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(ProjectorHiddenSizes);
        ArgumentNullException.ThrowIfNull(PromptProjectorHiddenSizes);
        ArgumentOutOfRangeException.ThrowIfNegative(Prototypes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PreferenceDimension);
        if (ProjectorHiddenSizes.Concat(PromptProjectorHiddenSizes).Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(ProjectorHiddenSizes), "hidden sizes must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Dropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(Dropout, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HingeMargin);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PrototypeLearningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(UserWeightDecay);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InitialScale);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxScale, InitialScale);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AdaptationSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AdaptationLearningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(AdaptationPriorStrength);
        if (!Enum.IsDefined(Variant))
        {
            throw new ArgumentOutOfRangeException(nameof(Variant), Variant, "unknown PAL variant");
        }
    }
}
