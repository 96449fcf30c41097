using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Dpa;

/// <summary>How DPA's stage 1 maps a response embedding to its per-objective ratings.</summary>
public enum ObjectiveRegression
{
    /// <summary>Ridge regression on the raw <c>[response ; prompt]</c> vector, in closed form (linear: underfits nonlinear objectives).</summary>
    Ridge,

    /// <summary>Ridge regression, in closed form, on fixed random tanh features of the embedding (a cheap nonlinear fit).</summary>
    RandomFeatureRidge,

    /// <summary>An MLP trained on the shared loop with a masked mean-squared error (the most accurate; the default).</summary>
    Mlp,
}

/// <summary>
/// Options of DPA (directional preference alignment): a multi-objective reward vector r(x) and a unit direction per
/// user, reward = scale * direction . r(x). With per-objective ratings in the data, r(x) regresses them (stage 1),
/// optionally fine-tuned on pairs (stage 2); without ratings, r(x) is a K-dimensional latent basis learned jointly
/// with the users' directions from pairs alone.
/// </summary>
public sealed record DpaOptions : RewardTrainerOptions
{
    /// <summary>
    /// Default for <see cref="Objectives"/>: 8. On the groups preset (population seeds 0, 1, 2; seen users, points
    /// above BT) 6 latent objectives gave +3.0 / +7.4 / +4.4, 8 gave +5.8 / +7.3 / +6.4, 12 and 16 no better on average.
    /// </summary>
    public const int DefaultLatentObjectives = 8;

    /// <summary>
    /// Creates options with DPA's defaults: the MLP regression, learning rate 5e-3 for up to 100 epochs with patience 10
    /// (the baseline's epoch budget; the higher rate because at 2e-3 the [128, 128] objective network still underfit
    /// the ratings when early stopping ended it).
    /// </summary>
    public DpaOptions()
    {
        LearningRate = 5e-3;
        Epochs = 100;
        EarlyStoppingPatience = 10;
    }

    /// <summary>
    /// K, the number of latent objectives learned from pairs alone when the data carries no ratings (or
    /// <see cref="UseRatings"/> is false). Ignored when the objectives come from ratings: then K is the number of
    /// objectives the data names. Default 8.
    /// </summary>
    public int Objectives { get; init; } = DefaultLatentObjectives;

    /// <summary>
    /// Learn the objectives from the records' <c>*_attributes</c> ratings when the data has them (default). When false
    /// the ratings are ignored and <see cref="Objectives"/> latent objectives are learned from pairs.
    /// </summary>
    public bool UseRatings { get; init; } = true;

    /// <summary>Stage 1: how ratings are regressed. Default <see cref="ObjectiveRegression.Mlp"/>.</summary>
    public ObjectiveRegression Regression { get; init; } = ObjectiveRegression.Mlp;

    /// <summary>
    /// Hidden widths of the objective network (the MLP regression and the latent basis). Default [128, 128]: with [64]
    /// the regressed objectives correlated only about 0.86 with the true ones on the directions preset, 0.96 with this.
    /// </summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [128, 128];

    /// <summary>Nonlinearity of the objective network. Default GELU.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>Dropout in the objective network when it regresses ratings. Default 0.</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Dropout in the objective network in the latent-objective mode (no ratings). Default 0.4: learnt jointly with a
    /// direction per user from pairs alone, the basis overfit within a few epochs; on the groups preset (seed 0, full
    /// size) seen-user accuracy was 58.8% without dropout and 67.1% at 0.4 (users starting from random directions),
    /// and 66.1% at 0.2 against 67.3% at 0.4 once users start from a shared direction.
    /// </summary>
    public double LatentDropout { get; init; } = 0.4;

    /// <summary>
    /// The ridge penalty of the closed-form regressions, per rated response (the penalty is this times the number of
    /// ratings). <see langword="null"/> (default) picks it per objective on the validation split from 1e-4 .. 10.
    /// </summary>
    public double? RidgePenalty { get; init; }

    /// <summary>Random tanh features for <see cref="ObjectiveRegression.RandomFeatureRidge"/>. Default 1024.</summary>
    public int RandomFeatures { get; init; } = 1024;

    /// <summary>
    /// Stage 2: after the regression, fine-tune r(x) on the pairs (Bradley-Terry loss with every seen user's
    /// direction), keeping the rating regression as an auxiliary loss weighted <see cref="FineTuneRatingWeight"/> so
    /// the objectives keep their meaning. Default false (ratings alone were as accurate on the directions preset).
    /// </summary>
    public bool FineTune { get; init; }

    /// <summary>Weight of the rating regression during <see cref="FineTune"/>. Default 1.</summary>
    public double FineTuneRatingWeight { get; init; } = 1.0;

    /// <summary>
    /// Concentration kappa of the von Mises-Fisher prior around the population direction used when fitting a user's
    /// direction (a pseudo-evidence weight: kappa * mean . v is added to the pairs' log-likelihood). <see langword="null"/>
    /// (default) estimates it from the spread of the seen users' directions; 0 turns the prior off.
    /// </summary>
    public double? PriorConcentration { get; init; }

    /// <summary>Projected-gradient iterations when fitting directions with r(x) frozen. Default 300.</summary>
    public int DirectionIterations { get; init; } = 300;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(HiddenSizes);
        ArgumentOutOfRangeException.ThrowIfLessThan(Objectives, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Objectives, 256);
        if (HiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "hidden sizes must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Dropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(Dropout, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(LatentDropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(LatentDropout, 1);
        if (RidgePenalty is { } ridge && (!double.IsFinite(ridge) || ridge <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(RidgePenalty), "the ridge penalty must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RandomFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(FineTuneRatingWeight);
        if (PriorConcentration is { } kappa && (!double.IsFinite(kappa) || kappa < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(PriorConcentration), "the prior concentration must be finite and >= 0");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DirectionIterations);
    }
}
