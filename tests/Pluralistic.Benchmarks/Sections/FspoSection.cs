using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// FSPO's own figures: the few-shot curve on unseen users of the groups preset beside VPL, PAL and Bradley-Terry (the
/// same users and queries at every k), and context sensitivity on the opposing-minority preset with and without
/// mirrored users.
/// </summary>
internal sealed class FspoSection : BenchmarkSection
{
    public override string Id => "fspo";

    public override string Title => "FSPO: few-shot curve, comparison with VPL and PAL, context sensitivity";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var seed = context.Seed;
        var population = new SyntheticPopulationOptions
        {
            Seed = seed,
            SeenUsers = context.Quick ? 60 : 160,
            UnseenUsers = context.Quick ? 12 : 40,
            TrainPairsPerUser = 30,
            TestPairsPerSeenUser = 10,
            UnseenPairsPerUser = 40,
            ResponseDimension = 16,
        };
        var epochs = context.Quick ? 10 : 60;
        var fspoOptions = new FspoOptions { Seed = seed, Device = "cpu", Epochs = epochs };
        var text = new StringBuilder();

        // Groups: every method on the same unseen users; the queries are fixed across k.
        var groups = SyntheticPopulation.Generate(population with { Preset = "groups" });
        var train = groups.ToDataset(groups.Train);
        var unseen = groups.ToDataset(groups.TestUnseen);
        var curves = new List<(string Name, FewShotCurve Curve)>();
        var trainers = new (string Name, Func<IUserRewardModel> Fit)[]
        {
            ("FSPO", () => new FspoTrainer(fspoOptions).Fit(train, cancellationToken: cancellationToken)),
            ("FSPO set encoder", () => new FspoTrainer(fspoOptions with { SetEncoder = true, AdaptationSteps = 0 }).Fit(train, cancellationToken: cancellationToken)),
            ("VPL", () => new VplTrainer(new VplOptions { Seed = seed, Device = "cpu", Epochs = epochs }).Fit(train, cancellationToken: cancellationToken)),
            ("PAL", () => new PalTrainer(new PalOptions { Seed = seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken)),
            ("BT", () => new BradleyTerryTrainer(new BradleyTerryOptions { Seed = seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken)),
        };
        foreach (var (name, fit) in trainers)
        {
            context.Log($"  fspo: training {name} on groups");
            using var model = fit();
            curves.Add((name, await RewardModelEvaluator.FewShotCurveAsync(model, unseen, cancellationToken: cancellationToken).ConfigureAwait(false)));
        }

        var image = "fspo-few-shot.png";
        FewShotPlot.SavePng(context.ImagePath(image), curves);
        var table = new MarkdownTable().AddColumn("k context pairs");
        foreach (var (name, _) in curves)
        {
            table.AddColumn(name, ColumnAlignment.Right);
        }

        var ks = curves[0].Curve.Points.Select(p => p.ContextPairs).ToList();
        foreach (var k in ks)
        {
            table.AddRow([k.ToString(CultureInfo.InvariantCulture), .. curves.Select(c => Percent(c.Curve.Points.First(p => p.ContextPairs == k).Accuracy))]);
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Groups preset, {population.SeenUsers} seen users x {population.TrainPairsPerUser} training pairs, {curves[0].Curve.Users} unseen users; each unseen user's first k pairs are the context and the same later pairs are the queries at every k. FSPO and VPL {epochs} epochs, PAL and BT their defaults, seed {seed}. FSPO: {fspoOptions.AdaptationSteps} meta-trained adaptation steps from the population summary (the default); FSPO set encoder: one pass of the attention set encoder, no steps.");
        text.AppendLine();
        text.AppendLine(table.ToString());
        text.AppendLine(BenchmarkContext.ImageLink("FSPO few-shot curve", image));
        text.AppendLine();
        var fspo10 = curves[0].Curve.Points.First(p => p.ContextPairs == 10).Accuracy;
        var bt10 = curves[^1].Curve.Points.First(p => p.ContextPairs == 10).Accuracy;
        text.AppendLine(CultureInfo.InvariantCulture, $"FSPO - BT at k = 10: {(fspo10 - bt10) * 100:+0.0;-0.0} points (target: at least +3).");
        text.AppendLine();

        // Opposing minority: flipping the context's labels should flip the prediction on most queries.
        var minority = SyntheticPopulation.Generate(population with { Preset = "minority" });
        var minorityTrain = minority.ToDataset(minority.Train);
        var minorityUnseen = minority.ToDataset(minority.TestUnseen);
        var sensitivity = new MarkdownTable()
            .AddColumn("FSPO training")
            .AddColumn("unseen accuracy (k = 10)", ColumnAlignment.Right)
            .AddColumn("context sensitivity (label flip)", ColumnAlignment.Right);
        foreach (var mirror in new[] { fspoOptions.MirroredUsers, 0.0 })
        {
            context.Log($"  fspo: minority, mirrored users {mirror}");
            using var model = new FspoTrainer(fspoOptions with { MirroredUsers = mirror }).Fit(minorityTrain, cancellationToken: cancellationToken);
            var result = await RewardModelEvaluator.EvaluateAsync(
                model, minorityUnseen, new EvaluationOptions { ContextPairs = 10, MeasureContextSensitivity = true }, cancellationToken).ConfigureAwait(false);
            sensitivity.AddRow(
                mirror > 0 ? $"mirrored users {mirror:0.##} (default)" : "no mirrored users",
                Percent(result.Metrics.Accuracy),
                (result.ContextSensitivity ?? 0).ToString("F3", CultureInfo.InvariantCulture));
        }

        text.AppendLine("Opposing-minority preset (same sizes), unseen users with 10 context pairs; context sensitivity is the fraction of query predictions that change side when every context label is flipped (target: at least 0.7).");
        text.AppendLine();
        text.AppendLine(sensitivity.ToString());
        return text.ToString();
    }

    private static string Percent(double value) => (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
