namespace Pluralistic.Evaluation;

/// <summary>
/// Puts a model's accuracy in context of reference figures on the same pairs: the oracle (the hidden true reward of
/// a synthetic population) and a non-personalised baseline (Bradley-Terry).
/// </summary>
public static class OracleComparison
{
    // Below this the oracle and the baseline are the same figure and the gap is not defined.
    private const double MinimumGap = 1e-12;

    /// <summary>
    /// The share of the room for personalisation that the model uses:
    /// <c>(acc_model - acc_baseline) / (acc_oracle - acc_baseline)</c>. The baseline scores 0, the oracle 1.
    /// </summary>
    /// <param name="modelAccuracy">The model's accuracy.</param>
    /// <param name="baselineAccuracy">The baseline's (Bradley-Terry) accuracy on the same pairs.</param>
    /// <param name="oracleAccuracy">The oracle's accuracy on the same pairs.</param>
    /// <returns>The gap closed, or <see langword="null"/> when the oracle and the baseline are equal.</returns>
    public static double? GapClosed(double modelAccuracy, double baselineAccuracy, double oracleAccuracy)
    {
        var room = oracleAccuracy - baselineAccuracy;
        return Math.Abs(room) < MinimumGap ? null : (modelAccuracy - baselineAccuracy) / room;
    }

    /// <summary>The model's accuracy as a fraction of the oracle's: <c>acc_model / acc_oracle</c>.</summary>
    /// <param name="modelAccuracy">The model's accuracy.</param>
    /// <param name="oracleAccuracy">The oracle's accuracy on the same pairs.</param>
    /// <returns>The fraction, or <see langword="null"/> when the oracle's accuracy is 0.</returns>
    public static double? FractionOfOracle(double modelAccuracy, double oracleAccuracy) =>
        oracleAccuracy < MinimumGap ? null : modelAccuracy / oracleAccuracy;
}
