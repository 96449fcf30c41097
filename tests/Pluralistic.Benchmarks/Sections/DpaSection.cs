using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// DPA's own figures: a named direction without user history against the hidden directional reward, personal
/// directions against Bradley-Terry (directions preset, and the groups preset in latent-objective mode), and the
/// control sweep (best-of-n picks as the direction turns toward one objective), plotted.
/// </summary>
internal sealed class DpaSection : BenchmarkSection
{
    private const int CandidatesPerPick = 16;

    public override string Id => "dpa";

    public override string Title => "DPA: directions, control and latent objectives";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var sizes = context.Quick ? new SyntheticPopulationOptions { SeenUsers = 60, UnseenUsers = 12 } : new SyntheticPopulationOptions();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Seed {context.Seed}; {sizes.SeenUsers} seen users x {sizes.TrainPairsPerUser} training pairs, {sizes.UnseenUsers} unseen users (the first 10 pairs as context). DPA and Bradley-Terry with their default options on CPU.");
        text.AppendLine();

        // Directions preset: ratings of three named objectives.
        var directions = SyntheticPopulation.Generate(sizes with { Preset = "directions", Seed = context.Seed });
        var train = directions.ToDataset(directions.Train);
        context.Log("  dpa: training DPA and BT on the directions preset");
        using var dpa = new DpaTrainer(new DpaOptions { Seed = context.Seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken);
        using var bt = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = context.Seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken);
        var objectives = dpa.GetRequiredService<IMultiObjectiveRewardModel>();

        var named = objectives.Direction(("helpfulness", 1), ("verbosity", -0.5));
        var fresh = directions.SampleResponses(context.Quick ? 2000 : 10000, seed: context.Seed + 100);
        var rewards = (await dpa.ScoreAsync([new UserId("nobody")], fresh, new ScoringOptions { Direction = named.ToDictionary() }, cancellationToken)).ForUser(0);
        var agreement = Agreement(directions, fresh, rewards, named);

        var seen = directions.ToDataset(directions.TestSeen);
        var unseen = directions.ToDataset(directions.TestUnseen);
        var context10 = new EvaluationOptions { ContextPairs = 10 };
        var table = new MarkdownTable().AddColumn("directions preset").AddColumn("DPA", ColumnAlignment.Right).AddColumn("BT", ColumnAlignment.Right).AddColumn("DPA - BT (points)", ColumnAlignment.Right).AddColumn("target");
        table.AddRow($"named direction `helpfulness=1,verbosity=-0.5`, no history: agreement with the hidden directional reward on {fresh.Count / 2:N0} fresh pairs", Percent(agreement), "-", "-", ">= 90%");
        await AddComparison(table, "seen users, held-out pairs", dpa, bt, seen, null, ">= +5", cancellationToken);
        await AddComparison(table, "unseen users, 10 context pairs", dpa, bt, unseen, context10, ">= +3", cancellationToken);
        text.AppendLine(table.ToString());

        // Control: turn the named direction toward verbosity; the true verbosity of best-of-16 should rise monotonically.
        var candidates = directions.SampleResponses(CandidatesPerPick * (context.Quick ? 200 : 1000), seed: context.Seed + 200);
        var sweep = await ControlSweep.TowardAsync(dpa, named, "verbosity", candidates, directions.Objectives, directions.TrueObjectives, new ControlSweepOptions { Steps = 7, CandidatesPerPick = CandidatesPerPick }, cancellationToken);
        ControlSweepPlot.SavePng(context.ImagePath("dpa-control-sweep.png"), sweep);
        var sweepTable = new MarkdownTable().AddColumn("angle from start (deg)", ColumnAlignment.Right);
        foreach (var name in directions.Objectives)
        {
            sweepTable.AddColumn($"true {name} of the pick", ColumnAlignment.Right);
        }

        foreach (var point in sweep.Points)
        {
            sweepTable.AddRow([point.AngleDegrees.ToString("F1", CultureInfo.InvariantCulture), .. point.MeanTrueObjectives.Select(v => v.ToString("F3", CultureInfo.InvariantCulture))]);
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Control sweep: from `helpfulness=1,verbosity=-0.5` toward `verbosity` in 7 steps; at each step best-of-{CandidatesPerPick} over {sweep.Picks:N0} sets of fresh candidates, the mean true objectives of the picks. Verbosity non-decreasing along the sweep: **{(sweep.IsNonDecreasing("verbosity") ? "yes" : "no")}**.");
        text.AppendLine();
        text.AppendLine(sweepTable.ToString());
        text.AppendLine(BenchmarkContext.ImageLink("DPA control sweep", "dpa-control-sweep.png"));
        text.AppendLine();

        // Groups preset: no ratings, so DPA learns latent objectives from the pairs.
        var groups = SyntheticPopulation.Generate(sizes with { Preset = "groups", Seed = context.Seed });
        var groupsTrain = groups.ToDataset(groups.Train);
        context.Log("  dpa: training DPA (latent objectives) and BT on the groups preset");
        using var latent = new DpaTrainer(new DpaOptions { Seed = context.Seed, Device = "cpu" }).Fit(groupsTrain, cancellationToken: cancellationToken);
        using var groupsBt = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = context.Seed, Device = "cpu" }).Fit(groupsTrain, cancellationToken: cancellationToken);
        var latentTable = new MarkdownTable().AddColumn("groups preset (no ratings)").AddColumn("DPA", ColumnAlignment.Right).AddColumn("BT", ColumnAlignment.Right).AddColumn("DPA - BT (points)", ColumnAlignment.Right).AddColumn("target");
        await AddComparison(latentTable, $"seen users, {DpaOptions.DefaultLatentObjectives} latent objectives", latent, groupsBt, groups.ToDataset(groups.TestSeen), null, ">= +5", cancellationToken);
        await AddComparison(latentTable, "unseen users, 10 context pairs", latent, groupsBt, groups.ToDataset(groups.TestUnseen), context10, "-", cancellationToken);
        text.AppendLine(latentTable.ToString());
        return text.ToString();
    }

    private static async Task AddComparison(MarkdownTable table, string label, IUserRewardModel model, IUserRewardModel baseline, PreferenceDataset data, EvaluationOptions? options, string target, CancellationToken cancellationToken)
    {
        var a = (await RewardModelEvaluator.EvaluateAsync(model, data, options, cancellationToken)).Metrics.Accuracy;
        var b = (await RewardModelEvaluator.EvaluateAsync(baseline, data, options, cancellationToken)).Metrics.Accuracy;
        table.AddRow(label, Percent(a), Percent(b), ((a - b) * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture), target);
    }

    private static double Agreement(SyntheticPopulation population, ResponseBatch responses, float[] rewards, PreferenceDirection direction)
    {
        var d = responses.Dimension;
        double Hidden(int i) => direction.Weights.Select((w, o) => w * population.TrueObjectives(responses.Responses.Span.Slice(i * d, d))[o]).Sum();
        var agree = 0;
        for (var i = 0; i + 1 < responses.Count; i += 2)
        {
            agree += (Hidden(i) > Hidden(i + 1)) == (rewards[i] > rewards[i + 1]) ? 1 : 0;
        }

        return agree / (responses.Count / 2.0);
    }

    private static string Percent(double value) => (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
