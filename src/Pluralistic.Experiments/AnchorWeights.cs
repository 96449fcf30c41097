using System.Globalization;
using Pluralistic.Torch;

namespace Pluralistic.Experiments;

/// <summary>
/// Says in words how far an anchored model lets a user's own reward move it from the population reward, for reports:
/// an anchored row whose new users get no weight of their own scores them with its population reward alone, which is
/// trained exactly as a Bradley-Terry row with its default options and the same seed, so for them it is that row.
/// </summary>
public static class AnchorWeights
{
    /// <summary>New users' weight: <c>"kappa 16"</c>, or <c>"none (kappa infinity)"</c>.</summary>
    /// <param name="anchor">The fitted anchor.</param>
    /// <returns>The phrase.</returns>
    public static string NewUsers(PopulationAnchorInfo anchor)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        return Kappa(anchor.Kappa);
    }

    /// <summary>Seen users' weight: a fixed weight when fitted, else the kappa of their pairs.</summary>
    /// <param name="anchor">The fitted anchor.</param>
    /// <returns>The phrase.</returns>
    public static string SeenUsers(PopulationAnchorInfo anchor)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        return anchor.SeenWeight is { } weight
            ? $"weight {weight.ToString("0.0#", CultureInfo.InvariantCulture)}"
            : Kappa(anchor.SeenKappa ?? anchor.Kappa);
    }

    /// <summary>Whether no new user keeps any of their own reward (their figures are the population reward's).</summary>
    /// <param name="anchor">The fitted anchor.</param>
    /// <returns><see langword="true"/> when kappa is infinite.</returns>
    public static bool NewUsersGetPopulationOnly(PopulationAnchorInfo anchor)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        return double.IsPositiveInfinity(anchor.Kappa);
    }

    private static string Kappa(double kappa) =>
        double.IsPositiveInfinity(kappa) ? "none (kappa infinity)" : $"kappa {kappa.ToString("0.###", CultureInfo.InvariantCulture)}";
}
