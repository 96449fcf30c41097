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

    /// <summary>Hidden widths of the MLP that encodes each context pair from <c>[e_c ; e_r ; e_c - e_r ; prompt]</c>. Default [64].</summary>
    public IReadOnlyList<int> PairHiddenSizes { get; init; } = [64];

    /// <summary>Width of a context pair's features and of the attention over them (divisible by <see cref="AttentionHeads"/>). Default 64.</summary>
    public int PairFeatures { get; init; } = 64;

    /// <summary>Attention heads of the set encoder. Default 4.</summary>
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
    /// predictions when the context's labels flip). 0 turns it off. Default 0.25.
    /// </summary>
    public double MirroredUsers { get; init; } = 0.25;

    /// <summary>
    /// Gradient steps on a user's summary after encoding, fitting the user's context pairs with the population frozen
    /// (test-time refinement; 0: adapting is one encoder pass). Default 0.
    /// </summary>
    public int TestTimeSteps { get; init; }

    /// <summary>Step size of the test-time gradient steps. Default 0.1.</summary>
    public double TestTimeLearningRate { get; init; } = 0.1;

    /// <summary>
    /// Weight of the pull towards the encoded summary during test-time steps (<c>anchor * ||s - s_encoded||^2</c>), so a
    /// few pairs cannot drag the summary far. Default 0.1.
    /// </summary>
    public double TestTimeAnchor { get; init; } = 0.1;

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
        ArgumentOutOfRangeException.ThrowIfNegative(TestTimeSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TestTimeLearningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(TestTimeAnchor);
    }
}
