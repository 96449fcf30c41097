using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Experiments;

public class PopulationExperimentTests
{
    [Fact]
    public async Task The_ablation_report_gives_every_model_a_row_its_margin_over_bt_and_vpl_its_active_latent_units()
    {
        var rows = await PopulationExperiment.RunAsync(new ExperimentOptions
        {
            Presets = ["groups"],
            Models = ["bt", "vpl"],
            Seed = 2,
            Device = "cpu",
            Population = new SyntheticPopulationOptions { SeenUsers = 40, UnseenUsers = 8, TrainPairsPerUser = 24, TestPairsPerSeenUser = 6, UnseenPairsPerUser = 16, ResponseDimension = 16 },
            HeldOutUsers = 20,
            HeldOutSeenPairs = 15,
            ConfigureTrainer = o => o with { Epochs = 4, Threads = 1 },
        });

        Assert.Equal(["bt", "vpl"], rows.Select(r => r.Model));
        Assert.Null(rows[0].ActiveUnits);
        var units = rows[1].ActiveUnits;
        Assert.NotNull(units);
        Assert.InRange(units.ActiveUnits, 1, units.LatentSize);
        Assert.Equal(40, units.Users);

        // Margins over BT are paired on the same pairs: BT against itself is exactly 0, VPL's is its accuracy difference.
        Assert.Equal(0, rows[0].UnseenOverBaseline!.Difference);
        Assert.Equal(0, rows[0].UnseenOverBaseline!.StandardError);
        Assert.Equal(rows[1].Seen.Accuracy - rows[0].Seen.Accuracy, rows[1].SeenOverBaseline!.Difference, 12);
        Assert.Equal(rows[1].Unseen.Accuracy - rows[0].Unseen.Accuracy, rows[1].UnseenOverBaseline!.Difference, 12);
        Assert.Equal(8, rows[1].UnseenOverBaseline!.Users);
        Assert.True(rows[1].SeenOverBaseline!.StandardError > 0);

        // The further held-out users: 20 of them, scored after the same 10 context pairs, paired against BT likewise.
        Assert.Equal(20, rows[1].HeldOutOverBaseline!.Users);
        Assert.Equal(20 * (16 - 10), rows[1].HeldOutOverBaseline!.Pairs);
        Assert.Equal(0, rows[0].HeldOutOverBaseline!.Difference);
        Assert.Equal(rows[1].HeldOut!.Accuracy - rows[0].HeldOut!.Accuracy, rows[1].HeldOutOverBaseline!.Difference, 12);

        // And 15 further held-out pairs for each of the 40 seen users, scored without context.
        Assert.Equal(40, rows[1].HeldOutSeenOverBaseline!.Users);
        Assert.Equal(40 * 15, rows[1].HeldOutSeenOverBaseline!.Pairs);
        Assert.Equal(rows[1].HeldOutSeen!.Accuracy - rows[0].HeldOutSeen!.Accuracy, rows[1].HeldOutSeenOverBaseline!.Difference, 12);

        using var images = new TempDirectory();
        var report = AblationReport.Write(rows, images.Path, "images", contextPairs: 10);
        Assert.Contains("active latent units", report, StringComparison.Ordinal);
        var vplLine = report.Split('\n').Single(l => l.StartsWith("| vpl ", StringComparison.Ordinal));
        Assert.Contains($" {units.ActiveUnits} / {units.LatentSize} |", vplLine, StringComparison.Ordinal);
        Assert.Contains($" {rows[1].SeenOverBaseline!.ToPoints()} / {rows[1].UnseenOverBaseline!.ToPoints()} |", vplLine, StringComparison.Ordinal);
        Assert.Contains("points over BT, 20 further unseen users (k=10)", report, StringComparison.Ordinal);
        Assert.Contains("points over BT, 600 further seen pairs", report, StringComparison.Ordinal);
        Assert.Contains($" {rows[1].HeldOutSeenOverBaseline!.ToPoints()} |", vplLine, StringComparison.Ordinal);
        Assert.Contains($" {rows[1].HeldOutOverBaseline!.ToPoints()} |", vplLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ablation_measures_the_reference_rows_beside_the_methods_and_names_those_a_preset_cannot_run()
    {
        var runs = await PopulationExperiment.RunPresetsAsync(new ExperimentOptions
        {
            Presets = ["groups", "minority"],
            Models = ["bt"],
            Seed = 3,
            Device = "cpu",
            Population = new SyntheticPopulationOptions { SeenUsers = 30, UnseenUsers = 8, TrainPairsPerUser = 24, TestPairsPerSeenUser = 6, UnseenPairsPerUser = 16, ResponseDimension = 16 },
            FewShotContextSizes = [1, 5],
            References = ReferenceModels.All,
            ConfigureTrainer = o => o with { Epochs = 3, Threads = 1 },
        });

        Assert.Equal(["groups", "minority"], runs.Select(r => r.Rows[0].Preset));
        foreach (var run in runs)
        {
            // Synthetic records name no items: the item references say so instead of scoring coin flips.
            Assert.Equal(["bt", "user-linear"], run.Rows.Select(r => r.Model));
            Assert.Equal(["item-mean", "user-knn"], run.UnavailableReferences.Select(r => r.Name));
            var reference = run.Rows[1];
            Assert.True(reference.IsReference);
            Assert.Equal("user-linear (reference)", reference.Label);

            // Scored on the same pairs as the methods: its margin over BT is its accuracy difference, paired per user.
            Assert.Equal(reference.Seen.Accuracy - run.Rows[0].Seen.Accuracy, reference.SeenOverBaseline!.Difference, 12);
            Assert.Equal(reference.Unseen.Accuracy - run.Rows[0].Unseen.Accuracy, reference.UnseenOverBaseline!.Difference, 12);
            Assert.Equal(run.Rows[0].Seen.Count, reference.Seen.Count);
            Assert.Equal([1, 5], reference.FewShot!.Points.Select(p => p.ContextPairs));
            Assert.InRange(reference.Seen.Accuracy, 0.5, 1.0);
        }

        using var images = new TempDirectory();
        var report = AblationReport.Write(runs, images.Path, "images/", contextPairs: 10);
        var lines = report.Split('\n');
        // The main table's row (the few-shot table names it too, without margins).
        var referenceLines = lines.Where(l => l.StartsWith("| user-linear (reference) ", StringComparison.Ordinal) && l.Contains(" ± ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, referenceLines.Count);
        for (var i = 0; i < runs.Count; i++)
        {
            var margin = runs[i].Rows[1];
            Assert.Contains($" {margin.SeenOverBaseline!.ToPoints()} / {margin.UnseenOverBaseline!.ToPoints()} |", referenceLines[i], StringComparison.Ordinal);
        }

        Assert.Equal(2, lines.Count(l => l.StartsWith("- item-mean (reference): not applicable, the records name no items", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.StartsWith("- user-linear (reference): ", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(images.Path, "fewshot-minority.png")));
    }
}
