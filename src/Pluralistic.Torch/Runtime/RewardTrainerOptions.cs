namespace Pluralistic.Torch;

/// <summary>
/// Options every TorchSharp trainer shares: the optimiser, schedule, early stopping, seed, device and threads.
/// Each method's options derive from this record and add their own.
/// </summary>
public abstract record RewardTrainerOptions
{
    /// <summary>Default for <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 40;

    /// <summary>Passes over the training data. Default 40.</summary>
    public int Epochs { get; init; } = DefaultEpochs;

    /// <summary>Pairs (or users, for episodic trainers) per step. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Peak AdamW learning rate. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW decoupled weight decay. Default 1e-2.</summary>
    public double WeightDecay { get; init; } = 1e-2;

    /// <summary>Fraction of steps with linear warmup before the cosine decay. Default 0.05.</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>The learning rate at the end of the cosine decay, as a fraction of the peak. Default 0.05.</summary>
    public double FinalLearningRateFraction { get; init; } = 0.05;

    /// <summary>
    /// Permute the training rows every epoch (default). When false, rows keep one seeded random order and each batch
    /// is a run of consecutive rows, with only the order of batches shuffled per epoch: far less memory traffic on
    /// large data, at the price of batches with a fixed composition.
    /// </summary>
    public bool ReshuffleEveryEpoch { get; init; } = true;

    /// <summary>Global gradient-norm clip; 0 turns clipping off. Default 1.</summary>
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>Fraction of each user's pairs held out for validation and early stopping; 0 turns it off. Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Epochs without validation improvement before stopping (the best weights are restored). Default 6.</summary>
    public int EarlyStoppingPatience { get; init; } = 6;

    /// <summary>
    /// The seed of every random choice in training (initialisation, shuffling, splits); 0 is a seed like any other.
    /// <see langword="null"/> (default): the runtime's seed (<see cref="RuntimeOptions.Seed"/> of the context or host
    /// the trainer came from; 0 without one). A trained model records the seed it used.
    /// </summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>. <see langword="null"/> (default): the runtime's
    /// device (<c>auto</c> without one).
    /// </summary>
    public string? Device { get; init; }

    /// <summary>
    /// libtorch intra-op threads (process-wide); 0 keeps libtorch's default. <see langword="null"/> (default): the
    /// runtime's setting (libtorch's default without one).
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>These options with every value they leave to the runtime taken from <paramref name="runtime"/>.</summary>
    /// <param name="runtime">The runtime (the defaults when <see langword="null"/>).</param>
    /// <returns>Options whose seed, device and threads are all set.</returns>
    public RewardTrainerOptions WithRuntime(RuntimeOptions? runtime) => this with
    {
        Seed = Seed ?? runtime?.Seed ?? 0,
        Device = Device ?? runtime?.Device ?? "auto",
        Threads = Threads ?? runtime?.Threads ?? 0,
    };

    /// <summary>
    /// The most recent labelled pairs kept per user in the store, so a user's state can be refined when new pairs
    /// arrive (0 keeps none: a refinement then learns from the new pairs alone). Each pair costs
    /// (2 x response + prompt dimension + 1) floats per user, so large embeddings want a small value. Default 20.
    /// </summary>
    public int EvidenceCapacity { get; init; } = 20;

    /// <summary>
    /// Whether a personalized method is anchored to a population reward trained beside it (trained exactly as the
    /// Bradley-Terry baseline is, with the run's seed, so a user given no weight of their own is scored as the baseline):
    /// a user's reward then moves from the population's only as far as the evidence weight fitted on held-out pairs
    /// allows, and a user without pairs gets the population reward. Recorded in the run's manifest, not in its
    /// options. Default <see langword="true"/> (since 2026-12-07): on real people's ratings (MovieLens 100k as text, as
    /// vectors and cut to 20 pairs per user) the methods alone fall up to 7 points below the baseline and anchored stay
    /// within half a point of it or above, while on the synthetic presets the anchored margins keep 81-123% of the
    /// methods' own except where those are within two standard errors of zero (docs/architecture.md, docs/benchmarks.md).
    /// <see langword="false"/> trains the method alone, faster (anchored training also trains four fold models for
    /// the fit, three to four times the time) and better on a small population with no shared taste at all. Methods
    /// that are not personalized ignore it. A method that validates on none (PAL) leaves a tenth of the pairs out of its
    /// training when anchored, for the anchor's fit.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool PopulationAnchor { get; init; } = true;

    /// <summary>Checks the shared options, naming the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(WeightDecay);
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WarmupFraction, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(FinalLearningRateFraction);
        ArgumentOutOfRangeException.ThrowIfNegative(GradientClipNorm);
        ArgumentOutOfRangeException.ThrowIfNegative(ValidationFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ValidationFraction, 0.9);
        ArgumentOutOfRangeException.ThrowIfNegative(EarlyStoppingPatience);
        ArgumentOutOfRangeException.ThrowIfNegative(EvidenceCapacity);
        if (Threads is { } threads)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(threads, nameof(Threads));
        }
    }
}
