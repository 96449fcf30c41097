using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Evaluation;

public class PreferenceMetricsTests
{
    private const double Tolerance = 1e-12;

    /// <summary>Six records: u1 (group A) x3, u2 (group B) x2, u3 (no group) x1; vectors do not matter here.</summary>
    private static PreferenceDataset Sample()
    {
        var builder = new PreferenceDatasetBuilder(1);
        void Add(string user, string? group) => builder.Add(new UserId(user), [1f], [0f], extras: new PreferenceRecordExtras { Group = group });
        Add("u1", "A");
        Add("u1", "A");
        Add("u1", "A");
        Add("u2", "B");
        Add("u2", "B");
        Add("u3", null);
        return builder.Build();
    }

    private static readonly double[] SampleP = [0.9, 0.5, 0.2, 0.7, 0.6, 0.95];

    [Fact]
    public void Accuracy_is_strict_and_a_tie_is_wrong()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP);
        Assert.Equal(6, metrics.Count);
        Assert.Equal(4.0 / 6, metrics.Accuracy, Tolerance);
    }

    [Fact]
    public void Equal_rewards_give_a_tie_that_counts_as_wrong()
    {
        var data = Sample().Select([0, 3]);
        var metrics = PreferenceMetrics.Compute(data, new PairPredictions([2f, 1f], [2f, 0f]));
        Assert.Equal(0.5, metrics.Accuracy, Tolerance);
        Assert.Equal(0.0, metrics.PerGroup["A"].Accuracy, Tolerance);
    }

    [Fact]
    public void Log_loss_and_Brier_match_hand_computed_values()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP);
        var logLoss = -(Math.Log(0.9) + Math.Log(0.5) + Math.Log(0.2) + Math.Log(0.7) + Math.Log(0.6) + Math.Log(0.95)) / 6;
        var brier = (0.01 + 0.25 + 0.64 + 0.09 + 0.16 + 0.0025) / 6;
        Assert.Equal(logLoss, metrics.LogLoss, Tolerance);
        Assert.Equal(brier, metrics.Brier, Tolerance);
    }

    [Fact]
    public void Log_loss_clips_certain_predictions()
    {
        var data = Sample().Select([0, 3]);
        var metrics = PreferenceMetrics.Compute(data, [0.0, 1.0]);
        var expected = (-Math.Log(1e-7) - Math.Log(1 - 1e-7)) / 2;
        Assert.Equal(expected, metrics.LogLoss, 1e-9);
        Assert.True(double.IsFinite(metrics.LogLoss));
    }

    [Fact]
    public void Mean_user_accuracy_weighs_every_user_the_same()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP);
        Assert.Equal(3, metrics.Users);

        // u1: 1 of 3 (0.5 is a tie); u2: 2 of 2; u3: 1 of 1.
        Assert.Equal(((1.0 / 3) + 1 + 1) / 3, metrics.MeanUserAccuracy, Tolerance);
    }

    [Fact]
    public void Per_group_metrics_and_the_worst_group()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP);
        Assert.Equal(["A", "B"], metrics.PerGroup.Keys);
        Assert.Equal(new GroupMetrics(3, 1, 1.0 / 3, -(Math.Log(0.9) + Math.Log(0.5) + Math.Log(0.2)) / 3), metrics.PerGroup["A"]);
        Assert.Equal(2, metrics.PerGroup["B"].Count);
        Assert.Equal(1.0, metrics.PerGroup["B"].Accuracy, Tolerance);
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.6)) / 2, metrics.PerGroup["B"].LogLoss, Tolerance);
        Assert.Equal("A", metrics.WorstGroup);
        Assert.Equal(1.0 / 3, metrics.WorstGroupAccuracy!.Value, Tolerance);
    }

    [Fact]
    public void Without_groups_there_is_no_worst_group()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP, records: [5]);
        Assert.Empty(metrics.PerGroup);
        Assert.Null(metrics.WorstGroup);
        Assert.Null(metrics.WorstGroupAccuracy);
    }

    [Fact]
    public void A_subset_of_records_is_measured_alone()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP, records: [1, 3, 4]);
        Assert.Equal(3, metrics.Count);
        Assert.Equal(2, metrics.Users);
        Assert.Equal(2.0 / 3, metrics.Accuracy, Tolerance);
        Assert.Equal((0.0 + 1.0) / 2, metrics.MeanUserAccuracy, Tolerance);
        Assert.Equal(["A", "B"], metrics.PerGroup.Keys);
        Assert.Equal(1, metrics.PerGroup["A"].Count);
    }

    [Fact]
    public void Ece_uses_ten_equal_width_bins_over_the_confidence_range()
    {
        // Confidences 0.62 (right), 0.63 (right), 0.64 (p = 0.36: wrong) share the bin [0.60, 0.65):
        // accuracy 2/3, mean confidence 0.63. 0.68 (p = 0.32: wrong) is alone in [0.65, 0.70), 0.97 (right) in [0.95, 1].
        var data = OpposingUsers.Generate(users: 5, pairsPerUser: 1, seed: 1);
        var metrics = PreferenceMetrics.Compute(data, [0.62, 0.63, 0.36, 0.32, 0.97]);
        var expected = ((3 * Math.Abs((2.0 / 3) - 0.63)) + 0.68 + 0.03) / 5;
        Assert.Equal(expected, metrics.Ece, 1e-12);

        Assert.Equal(PreferenceMetrics.CalibrationBinCount, metrics.Calibration.Count);
        var bin = metrics.Calibration[2];
        Assert.Equal(0.60, bin.Lower, 1e-12);
        Assert.Equal(0.65, bin.Upper, 1e-12);
        Assert.Equal(3, bin.Count);
        Assert.Equal(0.63, bin.MeanConfidence!.Value, 1e-12);
        Assert.Equal(2.0 / 3, bin.Accuracy!.Value, 1e-12);
        Assert.Equal(1, metrics.Calibration[3].Count);
        Assert.Equal(1, metrics.Calibration[9].Count);
        Assert.Equal(5, metrics.Calibration.Sum(b => b.Count));
        Assert.Null(metrics.Calibration[0].Accuracy);
    }

    [Fact]
    public void A_confidence_on_a_bin_edge_belongs_to_the_upper_bin()
    {
        var data = OpposingUsers.Generate(users: 4, pairsPerUser: 1, seed: 1);
        var metrics = PreferenceMetrics.Compute(data, [0.6, 0.4, 1.0, 0.5]);
        Assert.Equal(2, metrics.Calibration[2].Count);
        Assert.Equal(1, metrics.Calibration[9].Count);
        Assert.Equal(1, metrics.Calibration[0].Count);
    }

    [Fact]
    public void A_perfectly_calibrated_model_has_zero_ece()
    {
        // Bin [0.75, 0.80): four records at p = 0.75, three right: accuracy 0.75 = confidence.
        var data = OpposingUsers.Generate(users: 4, pairsPerUser: 1, seed: 1);
        var metrics = PreferenceMetrics.Compute(data, [0.75, 0.75, 0.75, 0.25]);
        Assert.Equal(0.0, metrics.Ece, 1e-12);
    }

    [Fact]
    public void Gap_closed_and_fraction_of_oracle()
    {
        var metrics = PreferenceMetrics.Compute(Sample(), SampleP, records: [0, 1, 3, 4]);
        Assert.Equal(0.75, metrics.Accuracy, Tolerance);
        Assert.Null(metrics.GapClosed);
        Assert.Null(metrics.FractionOfOracle);

        var compared = metrics.WithReference(oracleAccuracy: 0.85, baselineAccuracy: 0.65);
        Assert.Equal(0.5, compared.GapClosed!.Value, 1e-12);
        Assert.Equal(0.75 / 0.85, compared.FractionOfOracle!.Value, 1e-12);
        Assert.Equal(metrics.Accuracy, compared.Accuracy);

        Assert.Equal(0.0, OracleComparison.GapClosed(0.65, 0.65, 0.85)!.Value, 1e-12);
        Assert.Equal(1.0, OracleComparison.GapClosed(0.85, 0.65, 0.85)!.Value, 1e-12);
        Assert.Equal(-0.25, OracleComparison.GapClosed(0.6, 0.65, 0.85)!.Value, 1e-12);
        Assert.Null(OracleComparison.GapClosed(0.7, 0.8, 0.8));
        Assert.Null(metrics.WithReference(0.85, null).GapClosed);
    }

    [Fact]
    public void Bad_inputs_are_clear_errors()
    {
        var data = Sample();
        Assert.Throws<ArgumentException>(() => PreferenceMetrics.Compute(data, [0.5, 0.5]));
        Assert.Throws<ArgumentException>(() => PreferenceMetrics.Compute(data, SampleP, records: []));
        Assert.Throws<ArgumentException>(() => PreferenceMetrics.Compute(data, SampleP, records: [6]));
        Assert.Throws<ArgumentException>(() => PreferenceMetrics.Compute(data, [0.9, 0.5, double.NaN, 0.7, 0.6, 0.95]));
    }
}
