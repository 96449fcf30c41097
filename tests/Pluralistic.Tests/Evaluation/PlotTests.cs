using System.Buffers.Binary;
using Pluralistic.Evaluation;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Evaluation;

public class PlotTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static void AssertPng(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5_000, $"{Path.GetFileName(path)} is only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);

        // The first chunk is IHDR: width and height, big-endian.
        Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public async Task Every_plot_renders_a_valid_png()
    {
        using var directory = new TempDirectory();
        var unseen = OpposingUsers.Generate(users: 8, pairsPerUser: 14, seed: 3, prefix: "n");
        using var personal = new MeanDifferenceModel(OpposingUsers.Dimension, new InMemoryUserStateStore());
        using var blind = new MeanDifferenceModel(OpposingUsers.Dimension, new InMemoryUserStateStore(), ignoreUsers: true);
        var sizes = new FewShotOptions { ContextSizes = [1, 2, 5, 10] };
        var personalCurve = await RewardModelEvaluator.FewShotCurveAsync(personal, unseen, sizes);
        var blindCurve = await RewardModelEvaluator.FewShotCurveAsync(blind, unseen, sizes);
        var personalMetrics = (await RewardModelEvaluator.EvaluateAsync(personal, unseen, new EvaluationOptions { ContextPairs = 5 })).Metrics;
        var blindMetrics = (await RewardModelEvaluator.EvaluateAsync(blind, unseen, new EvaluationOptions { ContextPairs = 5 })).Metrics;
        var options = new PlotOptions { Width = 640, Height = 400 };

        var fewShot = directory.File("few-shot.png");
        FewShotPlot.SavePng(fewShot, [("mean difference", personalCurve), ("user-blind", blindCurve)], oracleAccuracy: 0.95, options);
        AssertPng(fewShot, 640, 400);

        var calibration = directory.File("plots/calibration.png");
        ReliabilityDiagram.SavePng(calibration, [("mean difference", personalMetrics), ("user-blind", blindMetrics)], options);
        AssertPng(calibration, 640, 400);

        var groups = directory.File("groups.png");
        GroupAccuracyPlot.SavePng(groups, [("mean difference", personalMetrics), ("user-blind", blindMetrics)], options);
        AssertPng(groups, 640, 400);

        var keep = Environment.GetEnvironmentVariable("PLURALISTIC_KEEP_PLOTS");
        if (!string.IsNullOrEmpty(keep))
        {
            Directory.CreateDirectory(keep);
            foreach (var file in new[] { fewShot, calibration, groups })
            {
                File.Copy(file, Path.Combine(keep, Path.GetFileName(file)), overwrite: true);
            }
        }
    }

    [Fact]
    public void Plots_reject_empty_input()
    {
        Assert.Throws<ArgumentException>(() => FewShotPlot.RenderPng([]));
        var data = OpposingUsers.Generate(users: 2, pairsPerUser: 1, seed: 1).Where(_ => true);
        var ungrouped = PreferenceMetrics.Compute(data, [0.7, 0.6]) with { PerGroup = new Dictionary<string, GroupMetrics>() };
        Assert.Throws<ArgumentException>(() => GroupAccuracyPlot.RenderPng([("m", ungrouped)]));
    }
}
