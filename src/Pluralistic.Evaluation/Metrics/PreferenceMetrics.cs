namespace Pluralistic.Evaluation;

/// <summary>
/// How well a model's <c>p_chosen</c> predicts a set of labelled pairs, with the definitions the whole product shares:
/// strict accuracy (ties are wrong), log-loss, Brier score, expected calibration error, mean per-user accuracy,
/// per-group and worst-group accuracy, and optionally the comparison with an oracle and a baseline.
/// </summary>
/// <remarks>
/// Every record counts once: example weights are a training device and are not used here.
/// Create one with <see cref="Compute(PreferenceDataset, PairPredictions, IReadOnlyList{int}?)"/>.
/// </remarks>
public sealed record PreferenceMetrics
{
    /// <summary>The number of equal-width confidence bins of <see cref="Ece"/> and <see cref="Calibration"/>.</summary>
    public const int CalibrationBinCount = 10;

    /// <summary>Probabilities are clipped to [<c>ProbabilityClip</c>, 1 - <c>ProbabilityClip</c>] for the log-loss.</summary>
    public const double ProbabilityClip = 1e-7;

    /// <summary>The number of records measured.</summary>
    public required int Count { get; init; }

    /// <summary>The number of distinct users among the records measured.</summary>
    public required int Users { get; init; }

    /// <summary>Strict accuracy: the fraction of records with <c>p_chosen &gt; 0.5</c>; a tie (0.5) is wrong.</summary>
    public required double Accuracy { get; init; }

    /// <summary>The mean over users of each user's strict accuracy (every user weighs the same).</summary>
    public required double MeanUserAccuracy { get; init; }

    /// <summary>The mean of <c>-ln p_chosen</c>, with p clipped to [1e-7, 1 - 1e-7].</summary>
    public required double LogLoss { get; init; }

    /// <summary>The Brier score: the mean of <c>(1 - p_chosen)^2</c>.</summary>
    public required double Brier { get; init; }

    /// <summary>
    /// Expected calibration error: the records are put in <see cref="CalibrationBinCount"/> equal-width bins over
    /// the range [0.5, 1] of the confidence <c>max(p, 1 - p)</c>; the mean over bins, weighted by their record
    /// counts, of |accuracy - mean confidence| (see <see cref="Calibration"/>).
    /// </summary>
    public required double Ece { get; init; }

    /// <summary>The bins behind <see cref="Ece"/>, in order of confidence (all of them, empty ones included).</summary>
    public required IReadOnlyList<CalibrationBin> Calibration { get; init; }

    /// <summary>Per evaluation group, its metrics, in ordinal order of the group names; records without a group are left out.</summary>
    public required IReadOnlyDictionary<string, GroupMetrics> PerGroup { get; init; }

    /// <summary>The group with the lowest accuracy (the first in ordinal order on a tie); <see langword="null"/> when no record has a group.</summary>
    public string? WorstGroup { get; init; }

    /// <summary>The accuracy of <see cref="WorstGroup"/>; <see langword="null"/> when no record has a group.</summary>
    public double? WorstGroupAccuracy { get; init; }

    /// <summary>The oracle's accuracy on the same records, when known (see <see cref="WithReference"/>).</summary>
    public double? OracleAccuracy { get; init; }

    /// <summary>The non-personalised baseline's (Bradley-Terry) accuracy on the same records, when known.</summary>
    public double? BaselineAccuracy { get; init; }

    /// <summary><see cref="Accuracy"/> as a fraction of <see cref="OracleAccuracy"/>, when that is known.</summary>
    public double? FractionOfOracle =>
        OracleAccuracy is { } oracle ? OracleComparison.FractionOfOracle(Accuracy, oracle) : null;

    /// <summary>
    /// <c>(acc - acc_baseline) / (acc_oracle - acc_baseline)</c>, when both references are known and differ
    /// (see <see cref="OracleComparison.GapClosed"/>).
    /// </summary>
    public double? GapClosed =>
        OracleAccuracy is { } oracle && BaselineAccuracy is { } baseline
            ? OracleComparison.GapClosed(Accuracy, baseline, oracle)
            : null;

    /// <summary>
    /// Computes the metrics of <paramref name="predictions"/> against the labels of <paramref name="data"/>.
    /// </summary>
    /// <param name="data">The labelled records.</param>
    /// <param name="predictions">One prediction per record of <paramref name="data"/>.</param>
    /// <param name="records">The record indices to measure; <see langword="null"/> for all records.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">
    /// The counts disagree, no record is selected, an index is out of range or a probability is not finite.
    /// </exception>
    public static PreferenceMetrics Compute(PreferenceDataset data, PairPredictions predictions, IReadOnlyList<int>? records = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return Compute(data, predictions.Probabilities(), records);
    }

    /// <summary>
    /// Computes the metrics of per-record probabilities that the chosen response wins against the labels of
    /// <paramref name="data"/>.
    /// </summary>
    /// <param name="data">The labelled records.</param>
    /// <param name="probabilities">One <c>p_chosen</c> per record of <paramref name="data"/>.</param>
    /// <param name="records">The record indices to measure; <see langword="null"/> for all records.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">
    /// The counts disagree, no record is selected, an index is out of range or a probability is not finite.
    /// </exception>
    public static PreferenceMetrics Compute(PreferenceDataset data, IReadOnlyList<double> probabilities, IReadOnlyList<int>? records = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Count != data.Count)
        {
            throw new ArgumentException($"expected one prediction per record ({data.Count}), got {probabilities.Count}", nameof(probabilities));
        }

        return MetricsCalculator.Compute(data, probabilities, records);
    }

    /// <summary>
    /// The same metrics with reference figures measured on the same records, which fill in
    /// <see cref="FractionOfOracle"/> and <see cref="GapClosed"/>.
    /// </summary>
    /// <param name="oracleAccuracy">The oracle's accuracy (for a synthetic population, its hidden true reward).</param>
    /// <param name="baselineAccuracy">The Bradley-Terry baseline's accuracy.</param>
    /// <returns>A copy with the references set.</returns>
    public PreferenceMetrics WithReference(double? oracleAccuracy, double? baselineAccuracy) =>
        this with { OracleAccuracy = oracleAccuracy, BaselineAccuracy = baselineAccuracy };
}
