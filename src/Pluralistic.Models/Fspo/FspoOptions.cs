using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// Options of FSPO (few-shot preference optimisation, Singh et al. 2025) in embedding space: a deterministic set
/// encoder reads a user's labelled context pairs into a summary that conditions the reward head, meta-trained on
/// per-user episodes so one model serves any number of context pairs. <see cref="RewardTrainerOptions.BatchSize"/>
/// counts users (episodes) per step.
/// </summary>
public sealed record FspoOptions : RewardTrainerOptions
{
    /// <summary>Creates options with FSPO's defaults (see docs/models/fspo.md for the measurements behind them).</summary>
    public FspoOptions()
    {
        BatchSize = 64;
        LearningRate = 2e-3;
        Epochs = 150;
        EarlyStoppingPatience = 20;
    }

    /// <summary>Set encoder (<see cref="SetEncoder"/>): hidden widths of the MLP that encodes each context pair from <c>[e_c ; e_r ; e_c - e_r ; prompt]</c>. Default [64].</summary>
    public IReadOnlyList<int> PairHiddenSizes { get; init; } = [64];

    /// <summary>Set encoder: width of a context pair's features and of the attention over them (divisible by <see cref="AttentionHeads"/>). Default 64.</summary>
    public int PairFeatures { get; init; } = 64;

    /// <summary>Set encoder: attention heads. Default 4.</summary>
    public int AttentionHeads { get; init; } = 4;

    /// <summary>Length of the context summary: a user's state vector. Default 32.</summary>
    public int SummarySize { get; init; } = 32;

    /// <summary>Hidden widths of the reward head over <c>[response ; prompt ; summary]</c> (at least one). Default [64].</summary>
    public IReadOnlyList<int> HeadHiddenSizes { get; init; } = [64];

    /// <summary>Nonlinearity of the pair encoder and the reward head. Default GELU.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>The smallest context of a training episode. Default 1.</summary>
    public int MinContextPairs { get; init; } = 1;

    /// <summary>The largest context of a training episode (sizes are drawn uniformly in between). Default 20.</summary>
    public int MaxContextPairs { get; init; } = 20;

    /// <summary>Query pairs predicted per episode (users with fewer pairs give fewer). Default 16.</summary>
    public int QueriesPerEpisode { get; init; } = 16;

    /// <summary>
    /// Probability that an episode's context is emptied, which trains the no-context summary used for cold start.
    /// Default 0.05.
    /// </summary>
    public double EmptyContextProbability { get; init; } = 0.05;

    /// <summary>
    /// Probability that an episode is a mirrored user: chosen and rejected swapped in its context and its queries
    /// together. Mirrored users hold the opposite of every preference, so the training loss can only be low for both
    /// them and real users by reading the context (later work found in-context reward models flip only 14% of
    /// predictions when the context's labels flip). They also make the population prior two-sided, which costs some
    /// accuracy on real users; 0.1 keeps context sensitivity on the opposing-minority preset above 0.7. 0 turns it
    /// off. Default 0.1.
    /// </summary>
    public double MirroredUsers { get; init; } = 0.1;

    /// <summary>
    /// Where a user's summary starts before the adaptation steps. <see langword="false"/> (default): from the learned
    /// population summary, so adapting is the meta-trained gradient steps alone and treats a new user exactly like a
    /// seen one. <see langword="true"/>: from the attention set encoder's reading of the context pairs (FSPO's
    /// in-context form; with <see cref="AdaptationSteps"/> 0 adapting is one encoder pass). Measured on the groups
    /// preset, the encoder learns to recognise the training users from a few pairs and transfers worse to new users
    /// (docs/models/fspo.md).
    /// </summary>
    public bool SetEncoder { get; init; }

    /// <summary>
    /// Gradient steps on a user's summary that fit the user's context pairs with the population frozen. They are part
    /// of meta-training (unrolled, second-order), so the head, the starting summary and the step size are learned for
    /// the steps a new user gets. 0 with <see cref="SetEncoder"/> makes adapting a single encoder pass. Default 5.
    /// </summary>
    public int AdaptationSteps { get; init; } = 5;

    /// <summary>Initial step size of the adaptation steps (learned in meta-training). Default 1.</summary>
    public double AdaptationStepSize { get; init; } = 1.0;

    /// <summary>
    /// Weight of the pull towards the starting summary during adaptation steps (<c>anchor * ||s - s_0||^2</c>).
    /// Default 0: the learned step size and step count already limit how far a few pairs move a user.
    /// </summary>
    public double AdaptationAnchor { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(PairHiddenSizes);
        ArgumentNullException.ThrowIfNull(HeadHiddenSizes);
        if (PairHiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(PairHiddenSizes), "hidden sizes must be positive");
        }

        if (HeadHiddenSizes.Count == 0 || HeadHiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HeadHiddenSizes), "the reward head needs at least one hidden layer, and positive widths");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PairFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AttentionHeads);
        if (PairFeatures % AttentionHeads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AttentionHeads), $"pair features ({PairFeatures}) must be divisible by the attention heads ({AttentionHeads})");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SummarySize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinContextPairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxContextPairs, MinContextPairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(QueriesPerEpisode);
        ArgumentOutOfRangeException.ThrowIfNegative(EmptyContextProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(EmptyContextProbability, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(MirroredUsers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MirroredUsers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(AdaptationSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AdaptationStepSize);
        ArgumentOutOfRangeException.ThrowIfNegative(AdaptationAnchor);
        if (AdaptationSteps == 0 && !SetEncoder)
        {
            throw new ArgumentOutOfRangeException(nameof(SetEncoder), "FSPO reads the context with the set encoder or with adaptation steps (AdaptationSteps > 0); with neither, every user would get the population summary");
        }
    }
}
