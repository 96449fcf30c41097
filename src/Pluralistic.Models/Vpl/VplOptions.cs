using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Vpl;

/// <summary>How a VPL model turns its Bradley-Terry rewards into the rewards it reports.</summary>
public enum VplRewardScaling
{
    /// <summary>The raw reward r(x | z): pair probabilities are sigmoid(r_a - r_b), as trained.</summary>
    None,

    /// <summary>
    /// VPL-SPO: the user's expected win probability against a fixed reference set of training responses,
    /// <c>mean_j sigmoid(r(x | z) - r(ref_j | z))</c>, in [0, 1] and comparable across users. The ranking for each
    /// user is unchanged (accuracy too); pair probabilities become sigmoid of a difference of win rates, so they are
    /// no longer calibrated.
    /// </summary>
    WinProbability,
}

/// <summary>
/// Options of VPL (variational preference learning): a Gaussian posterior over a user latent z, inferred by a set
/// encoder from the user's labelled pairs, conditions a reward head over [response ; z]. Trained episodically (a
/// context of 2..8 pairs, queries from the rest) with the Bradley-Terry likelihood plus beta x KL.
/// </summary>
public sealed record VplOptions : EpisodicTrainerOptions
{
    /// <summary>
    /// Creates options with VPL's defaults (see docs/models/vpl.md for the measurements behind them): 64 users per
    /// step, learning rate 2e-3, up to 100 epochs with patience 25 (the latent pathway is learned after the
    /// population term, so a short patience stops on the population plateau); episodes of 2 to 20 context pairs
    /// (not the reference's 8: users are adapted from 10 or more pairs, and an encoder trained on at most 8 under-used
    /// them) and 8 queries; 5% mirrored users; 5 adaptation steps on the posterior mean (the posterior variance stays
    /// the encoder's; 0 makes adapting one encoder pass).
    /// </summary>
    public VplOptions()
    {
        BatchSize = 64;
        LearningRate = 2e-3;
        Epochs = 100;
        EarlyStoppingPatience = 25;
        MinContextPairs = 2;
        QueriesPerEpisode = 8;
        MirroredUsers = 0.05;
    }

    /// <summary>
    /// The length of the user latent z. The reference's 512 is for LLM-sized inputs; default 16 for small embeddings.
    /// 32 was about 0.8 points more accurate on seen users of the groups preset but trained up to twice as long (it
    /// kept improving, so early stopping came later), which pushed the demo past its five-minute budget; see
    /// docs/models/vpl.md.
    /// </summary>
    public int LatentSize { get; init; } = 16;

    /// <summary>
    /// How the pair encoder reads a labelled pair. Default <see cref="Torch.Modules.PairEncoding.Difference"/>: one MLP
    /// over [response ; response - other ; prompt] applied to both sides, chosen minus rejected (antisymmetric), which
    /// identified users better on the synthetic presets than the reference's MLP over [chosen ; rejected ; chosen - rejected]
    /// (<see cref="Torch.Modules.PairEncoding.Concatenate"/>); see docs/models/vpl.md.
    /// </summary>
    public PairEncoding PairEncoding { get; init; } = PairEncoding.Difference;

    /// <summary>Hidden widths of the pair encoder's MLP. Default [64].</summary>
    public IReadOnlyList<int> EncoderHiddenSizes { get; init; } = [64];

    /// <summary>The width of a pair's encoding and of the self-attention set encoder (divisible by <see cref="AttentionHeads"/>). Default 64.</summary>
    public int EncoderWidth { get; init; } = 64;

    /// <summary>Attention heads of the set encoder. Default 4.</summary>
    public int AttentionHeads { get; init; } = 4;

    /// <summary>
    /// Hidden widths of the reward head over [response ; prompt ; z] (at least one layer). z shifts the first hidden
    /// layer and generates the output weights (<c>ConditionedRewardHead</c>), so a user's reward is a user-specific
    /// weighting of learned features. Default [64].
    /// </summary>
    public IReadOnlyList<int> HeadHiddenSizes { get; init; } = [64];

    /// <summary>Nonlinearity of the pair encoder. Default LeakyReLU(0.2), the reference's choice.</summary>
    public Activation Activation { get; init; } = Activation.LeakyRelu;

    /// <summary>Nonlinearity of the reward head. Default GELU.</summary>
    public Activation HeadActivation { get; init; } = Activation.Gelu;

    /// <summary>
    /// beta: the weight of KL(q(z | context) || N(0, I)) against the Bradley-Terry likelihood of the queries (KL summed
    /// over latent dimensions, averaged over episodes). VPL is sensitive to it: large values collapse the posterior
    /// onto the prior. Default 1e-3.
    /// </summary>
    public double Beta { get; init; } = 1e-3;

    /// <summary>
    /// Cyclical KL annealing: the number of cycles over the whole schedule in which beta ramps up from 0 (0 keeps beta
    /// constant). Default 4.
    /// </summary>
    public int KlAnnealingCycles { get; init; } = 4;

    /// <summary>The fraction of each annealing cycle spent ramping beta up from 0 (then it holds). Default 0.5.</summary>
    public double KlAnnealingRampFraction { get; init; } = 0.5;

    /// <summary>
    /// The fraction of training episodes whose queries are scored with the prior latent (z = 0) instead of the
    /// inferred one, so that cold-start users get the population-level reward. Default 0.1.
    /// </summary>
    public double PriorDropout { get; init; } = 0.1;

    /// <summary>How reported rewards are scaled. Default <see cref="VplRewardScaling.None"/>.</summary>
    public VplRewardScaling RewardScaling { get; init; } = VplRewardScaling.None;

    /// <summary>The size of the reference set of training responses for <see cref="VplRewardScaling.WinProbability"/>. Default 256.</summary>
    public int ReferenceResponses { get; init; } = 256;

    /// <summary>Latent samples drawn from a user's posterior to rank active questions (mutual information estimate). Default 128.</summary>
    public int PosteriorSamples { get; init; } = 128;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LatentSize);
        ArgumentNullException.ThrowIfNull(EncoderHiddenSizes);
        ArgumentNullException.ThrowIfNull(HeadHiddenSizes);
        if (EncoderHiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(EncoderHiddenSizes), "hidden sizes must be positive");
        }

        if (HeadHiddenSizes.Count == 0 || HeadHiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HeadHiddenSizes), "the reward head needs at least one hidden layer, all of positive width");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EncoderWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AttentionHeads);
        if (EncoderWidth % AttentionHeads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AttentionHeads), $"the encoder width ({EncoderWidth}) must be divisible by the attention heads ({AttentionHeads})");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Beta);
        ArgumentOutOfRangeException.ThrowIfNegative(KlAnnealingCycles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(KlAnnealingRampFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(KlAnnealingRampFraction, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(PriorDropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(PriorDropout, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReferenceResponses);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PosteriorSamples);
    }
}
