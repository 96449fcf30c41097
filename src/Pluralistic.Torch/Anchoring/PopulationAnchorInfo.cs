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
/// The population anchor of a personalized model: a Bradley-Terry reward trained beside the method (its weights are
/// part of the run's weights) and the evidence weight <c>w(n) = n / (n + kappa)</c> that says how far a user with
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
    /// The weight of the seen users' own reward (their states trained with the model), fitted on their held-out
    /// responses; <see langword="null"/> when the fit had none to judge them on (then the weight of their pairs).
    /// </summary>
    public double? SeenWeight { get; init; }

    /// <summary>How the user's reward combines with the population reward.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<PopulationAnchorForm>))]
    public PopulationAnchorForm Form { get; init; } = PopulationAnchorForm.Deviation;

    /// <summary>The weight of a user's own reward after <paramref name="pairs"/> pairs: <c>n / (n + kappa)</c>, 0 without pairs.</summary>
    /// <param name="pairs">The pairs the user's state was inferred from.</param>
    /// <returns>A weight in [0, 1].</returns>
    public double Weight(int pairs) => Weight(pairs, Kappa);

    internal static double Weight(int pairs, double kappa) =>
        pairs <= 0 || double.IsPositiveInfinity(kappa) ? 0 : pairs / (pairs + kappa);
}
