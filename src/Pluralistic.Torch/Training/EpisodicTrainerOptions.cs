namespace Pluralistic.Torch;

/// <summary>
/// Options of the episodic methods (trained on per-user episodes: a context of a user's pairs, queries from the rest),
/// shared so that one idea has one name across methods: context sizes, queries per episode, mirrored users and the
/// meta-trained adaptation steps that fit a user's state to their context. Each method sets its own defaults.
/// </summary>
public abstract record EpisodicTrainerOptions : RewardTrainerOptions
{
    /// <summary>The smallest context of a training episode, in pairs (resampled per episode).</summary>
    public int MinContextPairs { get; init; } = 1;

    /// <summary>The largest context of a training episode, in pairs (sizes are drawn uniformly in between). Default 20.</summary>
    public int MaxContextPairs { get; init; } = 20;

    /// <summary>Query pairs per episode, scored with the state adapted from the context (users with fewer pairs give fewer).</summary>
    public int QueriesPerEpisode { get; init; } = 16;

    /// <summary>
    /// The share of training episodes that are mirrored users: every label of the episode (context and queries)
    /// flipped, which is the episode of a user whose reward is the negative — a valid Bradley-Terry user. It teaches
    /// the model that reversed answers mean reversed preferences, so predictions follow a user's context even where
    /// the population has no such user (the label-flip test). 0 turns it off; at most 0.5.
    /// </summary>
    public double MirroredUsers { get; init; }

    /// <summary>
    /// Gradient steps on a user's state that fit the user's context pairs with the population frozen. They are part of
    /// training (unrolled, second-order), so the network and the step size are learned for exactly the steps a new
    /// user gets. Default 5.
    /// </summary>
    public int AdaptationSteps { get; init; } = 5;

    /// <summary>
    /// How training differentiates through the adaptation steps: through every step (second-order), with each step's
    /// gradient held constant (first-order), or through the last step only (truncated). The adapted states and the
    /// scores are computed the same way; only the training gradient, its cost and the accuracy it reaches differ.
    /// Default <see cref="Modules.AdaptationGradient.SecondOrder"/>.
    /// </summary>
    public Modules.AdaptationGradient AdaptationGradient { get; init; }

    /// <summary>Initial step size of the adaptation steps (learned in training). Default 1.</summary>
    public double AdaptationStepSize { get; init; } = 1.0;

    /// <summary>
    /// Weight of the pull towards the starting state during adaptation steps (<c>anchor * ||s - s_0||^2</c>). Default 0:
    /// the learned step size and the number of steps already limit how far a few pairs move a user.
    /// </summary>
    public double AdaptationAnchor { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinContextPairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxContextPairs, MinContextPairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(QueriesPerEpisode);
        ArgumentOutOfRangeException.ThrowIfNegative(MirroredUsers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MirroredUsers, 0.5);
        ArgumentOutOfRangeException.ThrowIfNegative(AdaptationSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AdaptationStepSize);
        ArgumentOutOfRangeException.ThrowIfNegative(AdaptationAnchor);
    }
}
