using System.Text.Json.Serialization;

namespace Pluralistic.Torch;

/// <summary>How a personalized model's reward is tied to the population reward it was trained beside.</summary>
public enum PopulationAnchorForm
{
    /// <summary><c>r_u(x) = r_pop(x) + w(n_u) (r_method(x; u) - r_method(x; cold))</c>: the method's deviation from its own cold-start reward, added to the population reward.</summary>
    Deviation,

    /// <summary><c>r_u(x) = (1 - w(n_u)) r_pop(x) + w(n_u) r_method(x; u)</c>: a blend that reaches the method's own reward as evidence grows.</summary>
    Blend,
}

/// <summary>
/// The population anchor of a personalized model: a Bradley-Terry reward trained beside the method exactly as the
/// Bradley-Terry baseline is trained, with the run's seed (its weights are part of the run's weights), and the
/// evidence weight <c>w(n) = n / (n + kappa)</c> that says how far a user with
/// <c>n</c> pairs may move from it. A user without pairs gets the population reward exactly; <see cref="Kappa"/> is
/// fitted on held-out pairs, and may be infinite (the method's deviations did not pay: everyone gets the population
/// reward) or 0 (they paid from the first pair).
/// </summary>
public sealed record PopulationAnchorInfo
{
    /// <summary>Hidden widths of the population reward's MLP.</summary>
    public required IReadOnlyList<int> HiddenSizes { get; init; }

    /// <summary>The pairs at which a user's own reward gets half the weight (may be positive infinity).</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public required double Kappa { get; init; }

    /// <summary>
    /// The kappa of the seen users' trained states when they have no weight of their own (<see cref="SeenWeight"/> is
    /// <see langword="null"/>): fitted on training users, whose pairs the network learned, as it learned the seen users'.
    /// <see langword="null"/> (runs saved before it, or too few users to cross-fit new users' <see cref="Kappa"/>): the
    /// same as <see cref="Kappa"/>.
    /// </summary>
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double? SeenKappa { get; init; }

    /// <summary>
    /// The weight of the seen users' own reward (their states trained with the model), fitted on their held-out
    /// responses; <see langword="null"/> when the fit had none to judge them on (then the weight of their pairs).
    /// </summary>
    public double? SeenWeight { get; init; }

    /// <summary>How the user's reward combines with the population reward.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<PopulationAnchorForm>))]
    public PopulationAnchorForm Form { get; init; } = PopulationAnchorForm.Deviation;

    /// <summary>
    /// How much a user's surprise moves their weight: <c>logit w_u = logit w + slope * surprise_u</c>, where a user's
    /// surprise is the population reward's log-loss on the pairs their state was read from, summed over those pairs,
    /// less <see cref="SurpriseCentre"/> per pair — how much worse than usual the population explains this user. A
    /// user the population explains badly (a minority whose tastes oppose the majority's) keeps more of their own
    /// reward; one it explains as well as anyone keeps less. Fitted on held-out pairs with kappa; 0 (runs saved before
    /// it) is one weight for every user with as many pairs.
    /// </summary>
    public double SurpriseSlope { get; init; }

    /// <summary>The population reward's usual log-loss per pair (over the fit's evidence pairs), from which surprise is counted.</summary>
    public double SurpriseCentre { get; init; }

    /// <summary>The weight of a user's own reward after <paramref name="pairs"/> pairs: <c>n / (n + kappa)</c>, 0 without pairs.</summary>
    /// <param name="pairs">The pairs the user's state was inferred from.</param>
    /// <returns>A weight in [0, 1].</returns>
    public double Weight(int pairs) => EvidenceWeight(pairs, Kappa);

    /// <summary>The weight of a user's own reward after <paramref name="pairs"/> pairs on which the population's summed log-loss is <paramref name="populationLoss"/>.</summary>
    /// <param name="pairs">The pairs the user's state was inferred from.</param>
    /// <param name="populationLoss">The population reward's log-loss summed over those pairs.</param>
    /// <returns>A weight in [0, 1].</returns>
    public double Weight(int pairs, double populationLoss) => Gate(EvidenceWeight(pairs, Kappa), SurpriseSlope * Surprise(pairs, populationLoss));

    /// <summary>
    /// The weight of a seen user's trained state (<see cref="SeenWeight"/>, else the weight <see cref="SeenKappa"/> gives
    /// their pairs) moved by their surprise.
    /// </summary>
    /// <param name="pairs">The pairs the weight counts.</param>
    /// <param name="populationLoss">The population reward's log-loss summed over those pairs.</param>
    /// <returns>A weight in [0, 1].</returns>
    public double SeenUserWeight(int pairs, double populationLoss) =>
        Gate(SeenWeight ?? EvidenceWeight(pairs, SeenKappa ?? Kappa), SurpriseSlope * Surprise(pairs, populationLoss));

    /// <summary>A user's surprise: the summed log-loss less the usual per pair.</summary>
    internal double Surprise(int pairs, double populationLoss) => pairs <= 0 ? 0 : populationLoss - (pairs * SurpriseCentre);

    internal static double EvidenceWeight(int pairs, double kappa) =>
        pairs <= 0 || double.IsPositiveInfinity(kappa) ? 0 : pairs / (pairs + kappa);

    /// <summary><c>sigmoid(logit(weight) + shift)</c>; 0 and 1 stay where they are (no evidence, or the method alone).</summary>
    internal static double Gate(double weight, double shift) =>
        weight <= 0 || weight >= 1 || shift == 0 ? weight : 1 / (1 + (Math.Exp(-shift) * (1 - weight) / weight));
}
