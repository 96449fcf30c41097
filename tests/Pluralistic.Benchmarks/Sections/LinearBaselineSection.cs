using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Linear Bradley-Terry (TorchSharp) against ML.NET's SdcaLogisticRegression on the same features: linear BT is
/// logistic regression on chosen - rejected, so both learn the same model class from the same information.
/// </summary>
internal sealed class LinearBaselineSection : BenchmarkSection
{
    private const int Dimension = 768;

    public override string Id => "linear";

    public override string Title => "Linear Bradley-Terry vs ML.NET SDCA logistic regression";

    /// <summary>The linear BT settings compared (stated in the report).</summary>
    internal static BradleyTerryOptions LinearOptions => new()
    {
        Head = RewardHead.Linear,
        Device = "cpu",
        Seed = 1,
        BatchSize = 1024,
        LearningRate = 0.03,
        WeightDecay = 0,
        Epochs = 4,
        EarlyStoppingPatience = 2,
        ReshuffleEveryEpoch = false,
        EvidenceCapacity = 0,
    };

    public override Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var pairs = context.Quick ? 20_000 : 100_000;
        var repeats = context.Quick ? 1 : 3;
        context.Log($"  linear: drawing {pairs:N0} training and {pairs / 5:N0} test pairs of {Dimension}-dimensional vectors");
        var random = new Random(context.Seed);
        var truth = LinearPreferenceData.DrawWeights(random, Dimension);
        var (train, trainRows) = LinearPreferenceData.Draw(random, truth, pairs);
        var (test, testRows) = LinearPreferenceData.Draw(random, truth, pairs / 5);

        var ml = new MLContext(seed: context.Seed);
        var trainView = ml.Data.LoadFromEnumerable(trainRows);
        var testView = ml.Data.LoadFromEnumerable(testRows);

        // Each library fits once to warm up (JIT, native initialisation), then the median of the timed fits is reported.
        var sdcaTimes = new List<double>();
        var btTimes = new List<double>();
        double sdcaAccuracy = 0, btAccuracy = 0, firstSdca = 0, firstBt = 0;
        for (var run = 0; run <= repeats; run++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stopwatch = Stopwatch.StartNew();
            var sdca = ml.BinaryClassification.Trainers.SdcaLogisticRegression(labelColumnName: "Label", featureColumnName: "Features").Fit(trainView);
            var sdcaSeconds = stopwatch.Elapsed.TotalSeconds;
            sdcaAccuracy = ml.BinaryClassification.Evaluate(sdca.Transform(testView)).Accuracy;

            stopwatch.Restart();
            using var bt = new BradleyTerryTrainer(LinearOptions).Fit(train, cancellationToken: cancellationToken);
            var btSeconds = stopwatch.Elapsed.TotalSeconds;
            btAccuracy = PreferenceMetrics.Compute(test, bt.ScorePairsAsync(test, cancellationToken: cancellationToken).GetAwaiter().GetResult()).Accuracy;
            if (run == 0)
            {
                (firstSdca, firstBt) = (sdcaSeconds, btSeconds);
            }
            else
            {
                sdcaTimes.Add(sdcaSeconds);
                btTimes.Add(btSeconds);
            }

            context.Log($"  linear run {run}: SDCA {sdcaAccuracy:F4} in {sdcaSeconds:F2} s, linear BT {btAccuracy:F4} in {btSeconds:F2} s");
        }

        var table = new MarkdownTable()
            .AddColumn("trainer")
            .AddColumn("test accuracy", ColumnAlignment.Right)
            .AddColumn("fit, first in process (s)", ColumnAlignment.Right)
            .AddColumn($"fit, median of {repeats} warm (s)", ColumnAlignment.Right);
        table.AddRow("ML.NET SdcaLogisticRegression (defaults)", Percent2(sdcaAccuracy), Seconds(firstSdca), Seconds(Median(sdcaTimes)));
        table.AddRow("Pluralistic linear Bradley-Terry", Percent2(btAccuracy), Seconds(firstBt), Seconds(Median(btTimes)));

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{pairs:N0} training pairs and {pairs / 5:N0} test pairs of {Dimension}-dimensional response vectors (coordinates N(0, 1/{Dimension})), labels drawn from a Bradley-Terry model of a hidden linear reward. SDCA sees each pair as one row of features chosen - rejected (label true) or rejected - chosen (label false), alternating, loaded with `LoadFromEnumerable`; linear BT reads the same pairs as a `PreferenceDataset`. Fit times include each library's own data preparation (ML.NET's conversion of the rows; Pluralistic's split, fingerprint and differences). Linear BT settings: batch {LinearOptions.BatchSize}, learning rate {LinearOptions.LearningRate}, up to {LinearOptions.Epochs} epochs with early stopping on a 10% validation split, no per-user evidence kept (`EvidenceCapacity = 0`), batches as slices of one shuffled copy (`ReshuffleEveryEpoch = false`).");
        text.AppendLine();
        text.AppendLine(table.ToString());
        text.AppendLine(CultureInfo.InvariantCulture, $"Accuracy difference (BT - SDCA): {(btAccuracy - sdcaAccuracy) * 100:+0.00;-0.00} points; warm fit time ratio (BT / SDCA): {Median(btTimes) / Median(sdcaTimes):F2}.");
        return Task.FromResult(text.ToString());
    }

    private static string Percent2(double value) => (value * 100).ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static string Seconds(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

/// <summary>Pairs of random vectors labelled by a hidden linear reward, as a dataset and as ML.NET rows.</summary>
internal static class LinearPreferenceData
{
    public static double[] DrawWeights(Random random, int dimension)
    {
        var w = Enumerable.Range(0, dimension).Select(_ => Gaussian(random)).ToArray();
        var norm = Math.Sqrt(w.Sum(x => x * x));
        return w.Select(x => x / norm).ToArray();
    }

    public static (PreferenceDataset Data, List<DifferenceRow> Rows) Draw(Random random, double[] w, int pairs)
    {
        var d = w.Length;
        var builder = new PreferenceDatasetBuilder(d, 0, pairs);
        var rows = new List<DifferenceRow>(pairs);
        var a = new float[d];
        var b = new float[d];
        var scale = 1 / Math.Sqrt(d);
        for (var k = 0; k < pairs; k++)
        {
            double ra = 0, rb = 0;
            for (var i = 0; i < d; i++)
            {
                a[i] = (float)(Gaussian(random) * scale);
                b[i] = (float)(Gaussian(random) * scale);
                ra += w[i] * a[i];
                rb += w[i] * b[i];
            }

            // Reward differences have standard deviation sqrt(2/d); scaling them to 4 gives an oracle near 0.87.
            var aWins = random.NextDouble() < PairPredictions.Sigmoid(4 * (ra - rb) / Math.Sqrt(2.0 / d));
            var (chosen, rejected) = aWins ? (a, b) : (b, a);
            builder.Add(new UserId("u" + (k % 1000).ToString(CultureInfo.InvariantCulture)), chosen, rejected);
            var flip = (k & 1) == 1;
            var features = new float[d];
            for (var i = 0; i < d; i++)
            {
                features[i] = flip ? rejected[i] - chosen[i] : chosen[i] - rejected[i];
            }

            rows.Add(new DifferenceRow { Label = !flip, Features = features });
        }

        return (builder.Build(), rows);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>One ML.NET row: a pair's difference vector and whether it reads chosen - rejected.</summary>
internal sealed class DifferenceRow
{
    public bool Label { get; set; }

    [VectorType(768)]
    public float[] Features { get; set; } = [];
}
