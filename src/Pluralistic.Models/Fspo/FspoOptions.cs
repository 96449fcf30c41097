using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// Options of FSPO (few-shot preference optimisation, Singh et al. 2025) in embedding space: a deterministic set
/// encoder reads a user's labelled context pairs into a summary that conditions the reward head, meta-trained on
/// per-user episodes so one model serves any number of context pairs. <see cref="RewardTrainerOptions.BatchSize"/>
/// counts users (episodes) per step.
/// </summary>
public sealed record FspoOptions : EpisodicTrainerOptions
{
    /// <summary>
    /// Creates options with FSPO's defaults (see docs/models/fspo.md for the measurements behind them): episodes of 1
    /// to 20 context pairs and up to 32 queries (reading a context — the set encoder and the differentiated adaptation
    /// steps — is most of a step's cost, so each context read scores more of the user's other pairs: half the steps
    /// per epoch of 16 queries, hence learning rate 3e-3 instead of 2e-3); 10% mirrored users (mirrored users hold the
    /// opposite of every preference, so the loss can only be low for both them and real users by reading the context;
    /// 0.1 keeps context sensitivity on the opposing-minority preset above 0.7, at some cost to real users); 5
    /// adaptation steps.
    /// </summary>
    public FspoOptions()
    {
        BatchSize = 64;
        LearningRate = 3e-3;
        Epochs = 150;
        QueriesPerEpisode = 32;
        EarlyStoppingPatience = 20;
        MirroredUsers = 0.1;
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

    /// <summary>
    /// Probability that an episode's context is emptied, which trains the no-context summary used for cold start.
    /// Default 0.05.
    /// </summary>
    public double EmptyContextProbability { get; init; } = 0.05;

    /// <summary>
    /// Where a user's summary starts before the adaptation steps. <see langword="false"/> (default): from the learned
    /// population summary, so adapting is the meta-trained gradient steps alone and treats a new user exactly like a
    /// seen one. <see langword="true"/>: from the attention set encoder's reading of the context pairs (FSPO's
    /// in-context form; with <see cref="EpisodicTrainerOptions.AdaptationSteps"/> 0 adapting is one encoder pass). Measured on the groups
    /// preset, the encoder learns to recognise the training users from a few pairs and transfers worse to new users
    /// (docs/models/fspo.md).
    /// </summary>
    public bool SetEncoder { get; init; }

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
        ArgumentOutOfRangeException.ThrowIfNegative(EmptyContextProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(EmptyContextProbability, 1);
        if (AdaptationSteps == 0 && !SetEncoder)
        {
            throw new ArgumentOutOfRangeException(nameof(SetEncoder), "FSPO reads the context with the set encoder or with adaptation steps (AdaptationSteps > 0); with neither, every user would get the population summary");
        }
    }
}
