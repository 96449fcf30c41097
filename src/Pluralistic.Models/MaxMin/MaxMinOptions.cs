using System.Text.Json.Serialization;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.MaxMin;

/// <summary>How the E-step assigns users to reward heads.</summary>
public enum MaxMinEStep
{
    /// <summary>Each user goes wholly to the head under which their pairs are most likely (the reference's argmax).</summary>
    Hard,

    /// <summary>Each user is shared among the heads by posterior responsibility (prior share times likelihood).</summary>
    Soft,

    /// <summary>
    /// Each user goes wholly to the head of highest posterior (prior share times likelihood): hard assignments, but a
    /// user whose pairs do not clearly favour a small group's head stays with the large group.
    /// </summary>
    HardMap,
}

/// <summary>How EM's first assignment of users to heads is made.</summary>
public enum MaxMinInitialization
{
    /// <summary>k-means (ML.NET, k-means++ seeding) over the users' mean preference directions.</summary>
    KMeans,

    /// <summary>A seeded random balanced assignment (the reference assigns user i to head i mod K).</summary>
    Random,

    /// <summary>
    /// Heads added one at a time, each seeded with the users worst explained by the heads so far (a likelihood-based
    /// k-means++): a group without a head of its own is the group that fits worst.
    /// </summary>
    Split,
}

/// <summary>Options of MaxMin: an EM mixture of K Bradley-Terry heads with egalitarian aggregation.</summary>
public sealed record MaxMinOptions : RewardTrainerOptions
{
    /// <summary>The value of <see cref="Groups"/> that selects K by held-out likelihood over [<see cref="MinGroups"/>, <see cref="MaxGroups"/>].</summary>
    public const int AutoGroups = 0;

    /// <summary>
    /// Creates options with MaxMin's defaults: the Bradley-Terry baseline's learning rate and epoch budget (each
    /// M-step is warm-started from the previous iteration and early stopping ends it once validation stops improving,
    /// so most M-steps use a few epochs). A quarter of that learning rate and 30 epochs (the earlier defaults) left
    /// the heads at chance on the prompt-dependent mixture preset (53% against the baseline's 65%).
    /// </summary>
    public MaxMinOptions()
    {
        LearningRate = 2e-3;
        Epochs = 100;
        EarlyStoppingPatience = 6;
    }

    /// <summary>
    /// K, the number of reward heads (groups); <see cref="AutoGroups"/> (0) picks K over
    /// [<see cref="MinGroups"/>, <see cref="MaxGroups"/>] by held-out likelihood. Default <see cref="AutoGroups"/>
    /// (the reference fixes K = 2): with <see cref="SharedTrunk"/> it was within 0.3 points of K = 2 on the synthetic
    /// vector presets, 8 to 12 points ahead on paraphrased text, and level with BT on MovieLens 100k as text instead of 2 points
    /// below, at 4 to 8 times the training time (docs/models/maxmin.md).
    /// </summary>
    public int Groups { get; init; } = AutoGroups;

    /// <summary>The smallest K tried by automatic selection. Default 1 (so a population without groups keeps one head).</summary>
    public int MinGroups { get; init; } = 1;

    /// <summary>The largest K tried by automatic selection. Default 5.</summary>
    public int MaxGroups { get; init; } = 5;

    /// <summary>
    /// Automatic selection holds out this fraction of every user's pairs, fits each K on the rest, and scores the held-out
    /// pairs under each user's posterior. Default 0.25.
    /// </summary>
    public double SelectionHoldoutFraction { get; init; } = 0.25;

    /// <summary>
    /// The E-step. Default <see cref="MaxMinEStep.HardMap"/>: the reference's hard assignment with the group-size prior,
    /// so that with unequal groups the large group's ambiguous users do not flood a small group's head (docs/models/maxmin.md).
    /// </summary>
    public MaxMinEStep EStep { get; init; } = MaxMinEStep.HardMap;

    /// <summary>
    /// The first assignment. Default <see cref="MaxMinInitialization.Split"/>: on the synthetic presets k-means over mean
    /// preference directions starts at an adjusted Rand index of 0.0 to 0.5 and EM does not recover from it
    /// (docs/models/maxmin.md).
    /// </summary>
    public MaxMinInitialization Initialization { get; init; } = MaxMinInitialization.Split;

    /// <summary>
    /// With <see cref="MaxMinInitialization.Split"/>, the most EM iterations before the next head is added. Default 3.
    /// </summary>
    public int SplitIterations { get; init; } = 3;

    /// <summary>The most EM iterations (M-step then E-step) with all K heads. Default 10 (the reference's).</summary>
    public int MaxIterations { get; init; } = 10;

    /// <summary>
    /// EM stops when the training log-likelihood per pair changes by less than this between iterations (or, with the
    /// hard E-step, when no user changes head). Default 1e-3 nats per pair.
    /// </summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>
    /// When true (the default) the E-step is cross-fitted: the users are split in two folds, two sets of heads are trained
    /// (one per fold) and each user is scored by the heads that never learned from them, so a head's fit to its own
    /// users cannot keep them where they are; the final heads are then trained on everyone. When false, the
    /// reference's E-step with the heads that were trained on the users' own pairs.
    /// </summary>
    public bool CrossFitEStep { get; init; } = true;

    /// <summary>
    /// When true the heads share a trunk (an MLP over the response whose last hidden layer feeds K linear heads);
    /// when false every head is its own MLP, as in the reference. Default true: every user's pairs train the features and
    /// a group's head is a linear reading of them, so more groups cost little data (see <see cref="Groups"/>).
    /// </summary>
    public bool SharedTrunk { get; init; } = true;

    /// <summary>The heads: linear, or MLPs of <see cref="HiddenSizes"/>. Default <see cref="RewardHead.Mlp"/>.</summary>
    public RewardHead Head { get; init; } = RewardHead.Mlp;

    /// <summary>Hidden widths of each head's MLP (of the shared trunk when <see cref="SharedTrunk"/>). Default [64], as the baseline.</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [64];

    /// <summary>Nonlinearity of the MLPs. Default GELU.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>Dropout in the MLPs. Default 0.</summary>
    public double Dropout { get; init; }

    /// <summary>Whether <see cref="Groups"/> asks for automatic selection.</summary>
    [JsonIgnore]
    public bool IsAutoGroups => Groups == AutoGroups;

    /// <summary>Parses a <c>--groups</c> argument: a positive K, or <c>auto</c>.</summary>
    /// <param name="text">The argument.</param>
    /// <returns>K, or <see cref="AutoGroups"/>.</returns>
    /// <exception cref="ArgumentException">The text is neither.</exception>
    public static int ParseGroups(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
        {
            return AutoGroups;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var k) && k > 0
            ? k
            : throw new ArgumentException($"--groups must be a positive number of groups or 'auto' (got '{text}')", nameof(text));
    }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(Groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinGroups);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxGroups, MinGroups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SelectionHoldoutFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SelectionHoldoutFraction, 0.5);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxIterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SplitIterations);
        ArgumentOutOfRangeException.ThrowIfNegative(Tolerance);
        ArgumentNullException.ThrowIfNull(HiddenSizes);
        if (HiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "hidden sizes must be positive");
        }

        if (SharedTrunk && Head == RewardHead.Mlp && HiddenSizes.Count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "a shared trunk needs at least one hidden layer");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Dropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(Dropout, 1);
    }
}
