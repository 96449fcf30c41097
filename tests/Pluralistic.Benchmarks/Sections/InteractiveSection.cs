using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Torch;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// What an interactive product feels: PAL's latency to adapt one new user from 10 pairs and to score 64 responses for
/// one user; every kind's latency to adapt one new user (briefly trained); VPL's active questions against random ones;
/// VPL's and FSPO's latency to adapt one new user from 10 pairs; the LiteDB user store's throughput.
/// </summary>
internal sealed class InteractiveSection : BenchmarkSection
{
    public override string Id => "interactive";

    public override string Title => "Interactive use: few-shot latency, active questions, user store";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var population = SyntheticPopulation.Generate(context.Quick
            ? new SyntheticPopulationOptions { Seed = context.Seed, SeenUsers = 60, UnseenUsers = 12 }
            : new SyntheticPopulationOptions { Seed = context.Seed });
        var train = population.ToDataset(population.Train);
        var unseen = population.ToDataset(population.TestUnseen);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Groups preset (seed {context.Seed}, {population.Options.SeenUsers} seen users, {unseen.Users.Count} unseen users). Wall-clock medians of repeated single calls on this machine, after a warm-up call.");
        text.AppendLine();

        context.Log("  interactive: training PAL");
        using (var pal = new PalTrainer(new PalOptions { Seed = context.Seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken))
        {
            text.AppendLine(await PalLatencyAsync(pal, population, unseen, cancellationToken).ConfigureAwait(false));
        }

        text.AppendLine(await EveryKindAdaptLatencyAsync(context, train, unseen, cancellationToken).ConfigureAwait(false));

        context.Log("  interactive: training VPL");
        using (var vpl = new VplTrainer(new VplOptions { Seed = context.Seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken))
        {
            var curve = await ActiveLearningExperiment.RunAsync(
                vpl, unseen, new ActiveLearningOptions { PoolSize = 20, Budget = 10, RandomRepeats = 5, Seed = context.Seed }, cancellationToken).ConfigureAwait(false);
            text.AppendLine(ActiveQuestions(curve, context));
            text.AppendLine(await AdaptLatencyAsync("VPL", vpl, unseen, cancellationToken).ConfigureAwait(false));
        }

        context.Log("  interactive: training FSPO");
        using (var fspo = new FspoTrainer(new FspoOptions { Seed = context.Seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken))
        {
            text.AppendLine(await AdaptLatencyAsync("FSPO", fspo, unseen, cancellationToken).ConfigureAwait(false));
        }

        context.Log("  interactive: user store");
        text.AppendLine(await StoreThroughputAsync(context.Quick ? 2_000 : 20_000, cancellationToken).ConfigureAwait(false));
        return text.ToString();
    }

    private static async Task<string> PalLatencyAsync(PalRewardModel pal, SyntheticPopulation population, PreferenceDataset unseen, CancellationToken cancellationToken)
    {
        var users = unseen.RecordsByUser().Where(r => r.Length >= 10).ToList();
        var adapt = await AdaptLatenciesAsync(pal, unseen, cancellationToken).ConfigureAwait(false);

        var user = unseen.Users[0];
        await pal.AdaptAsync(unseen.Select(users[0].AsSpan(0, 10)), cancellationToken: cancellationToken).ConfigureAwait(false);
        var responses = population.SampleResponses(64, seed: 5);
        var score = new List<double>();
        for (var i = 0; i < 201; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            _ = await pal.ScoreAsync(user, responses, cancellationToken: cancellationToken).ConfigureAwait(false);
            score.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        // The first adaptation and scoring call pay one-off costs (JIT, libtorch kernels); report the steady state.
        var table = new MarkdownTable().AddColumn("PAL-B (defaults)").AddColumn("calls", ColumnAlignment.Right).AddColumn("median", ColumnAlignment.Right).AddColumn("p90", ColumnAlignment.Right);
        table.AddRow("adapt one new user from 10 pairs (`AdaptAsync`)", (adapt.Count - 1).ToString(CultureInfo.InvariantCulture), Ms(Quantile(adapt.Skip(1), 0.5)), Ms(Quantile(adapt.Skip(1), 0.9)));
        table.AddRow("score 64 responses for one user (`ScoreAsync`)", "200", Ms(Quantile(score.Skip(1), 0.5)), Ms(Quantile(score.Skip(1), 0.9)));
        return "### PAL: few-shot latency\n\n" + table;
    }

    // Milliseconds of AdaptAsync for each unseen user with at least 10 pairs, from the first 10 (not persisted).
    private static async Task<List<double>> AdaptLatenciesAsync(IUserRewardModel model, PreferenceDataset unseen, CancellationToken cancellationToken)
    {
        var adapt = new List<double>();
        foreach (var records in unseen.RecordsByUser().Where(r => r.Length >= 10))
        {
            var stopwatch = Stopwatch.StartNew();
            await model.AdaptAsync(unseen.Select(records.AsSpan(0, 10)), new AdaptationOptions { Persist = false }, cancellationToken).ConfigureAwait(false);
            adapt.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        return adapt;
    }

    // Every built-in kind, trained briefly (2 epochs: the latency of adapting does not depend on how well the
    // population was trained), adapting each unseen user from 10 pairs.
    private static async Task<string> EveryKindAdaptLatencyAsync(BenchmarkContext context, PreferenceDataset train, PreferenceDataset unseen, CancellationToken cancellationToken)
    {
        var table = new MarkdownTable().AddColumn("kind (defaults, 2 epochs)").AddColumn("calls", ColumnAlignment.Right).AddColumn("median", ColumnAlignment.Right).AddColumn("p90", ColumnAlignment.Right);
        foreach (var name in RewardModelKinds.BuiltIn.Names)
        {
            context.Log($"  interactive: adapting with {name}");
            var kind = RewardModelKinds.BuiltIn.Get(name);
            using var model = kind.Train(kind.CreateDefaultOptions() with { Seed = context.Seed, Device = "cpu", Epochs = 2 }, train, cancellationToken: cancellationToken);
            var adapt = (await AdaptLatenciesAsync(model, unseen, cancellationToken).ConfigureAwait(false)).Skip(1).ToList();
            table.AddRow(name, adapt.Count.ToString(CultureInfo.InvariantCulture), Ms(Quantile(adapt, 0.5)), Ms(Quantile(adapt, 0.9)));
        }

        return "### Adapt one new user from 10 pairs, every kind\n\n`AdaptAsync` of one unseen user's first 10 pairs, not persisted, after a warm-up call.\n\n" + table;
    }

    /// <summary>Adapting one new user from 10 pairs (encoder and adaptation steps; nothing stored), after a warm-up call.</summary>
    private static async Task<string> AdaptLatencyAsync(string name, TorchUserRewardModel model, PreferenceDataset unseen, CancellationToken cancellationToken)
    {
        var adapt = await AdaptLatenciesAsync(model, unseen, cancellationToken).ConfigureAwait(false);
        var table = new MarkdownTable().AddColumn($"{name} (defaults)").AddColumn("calls", ColumnAlignment.Right).AddColumn("median", ColumnAlignment.Right).AddColumn("p90", ColumnAlignment.Right);
        table.AddRow("adapt one new user from 10 pairs (`AdaptAsync`)", (adapt.Count - 1).ToString(CultureInfo.InvariantCulture), Ms(Quantile(adapt.Skip(1), 0.5)), Ms(Quantile(adapt.Skip(1), 0.9)));
        return $"### {name}: few-shot latency\n\n" + table;
    }

    private static string ActiveQuestions(ActiveLearningCurve curve, BenchmarkContext context)
    {
        var image = "vpl-active-questions.png";
        ActiveLearningPlot.SavePng(context.ImagePath(image), curve);
        var table = new MarkdownTable().AddColumn("questions").AddColumn("chosen by VPL", ColumnAlignment.Right).AddColumn("random (mean of 5 orders)", ColumnAlignment.Right);
        foreach (var point in curve.Points)
        {
            table.AddRow(point.Questions.ToString(CultureInfo.InvariantCulture), MetricsFormat.Percent(point.ActiveAccuracy), MetricsFormat.Percent(point.RandomAccuracy));
        }

        var coldStart = curve.Points[0].ActiveAccuracy;
        var reached = curve.QuestionsToMatchRandomBudget;
        var verdict = curve.RandomAccuracyAtBudget <= coldStart
            ? $"{curve.Budget} random questions do not raise accuracy above the cold start ({MetricsFormat.Percent(coldStart)} -> {MetricsFormat.Percent(curve.RandomAccuracyAtBudget)}): the model does not learn from this many answers here, so the target (chosen questions reach random's accuracy with at most 7) is **not shown**."
            : reached is { } q
                ? $"Chosen questions reach the accuracy of {curve.Budget} random ones ({MetricsFormat.Percent(curve.RandomAccuracyAtBudget)}) after **{q}** (target: at most 7)."
                : $"Chosen questions do not reach the accuracy of {curve.Budget} random ones ({MetricsFormat.Percent(curve.RandomAccuracyAtBudget)}) within the budget (target: at most 7).";
        return $"### VPL: active questions\n\n{curve.Users} unseen users; each user's first 20 pairs are the candidate questions (labels hidden until asked), the rest are the queries; VPL defaults.\n\n{table}\n{verdict}\n\n{BenchmarkContext.ImageLink("VPL active questions", image)}\n";
    }

    private static async Task<string> StoreThroughputAsync(int users, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("pluralistic-store-bench");
        try
        {
            var states = Enumerable.Range(0, users).Select(i => new UserState
            {
                User = new UserId($"user-{i}"),
                ModelKind = "pal",
                ModelFingerprint = "benchmark",
                Vector = Enumerable.Range(0, 32).Select(j => (float)((i + j) % 7)).ToArray(),
            }).ToList();
            using var store = new LiteDbUserStateStore(Path.Combine(directory.FullName, "users.db"));
            var table = new MarkdownTable().AddColumn("LiteDbUserStateStore (32-float states)").AddColumn("operations", ColumnAlignment.Right).AddColumn("per second", ColumnAlignment.Right);

            // The same operations on as many other users first: a smaller warm-up leaves LiteDB's insert paths in
            // .NET's unoptimised first JIT tier for much of the timed batch (1,000 warm-up users: about 25,000 inserts
            // per second in one batch of 20,000; 20,000 warm-up users: about 55,000).
            var warmUp = states.Select(s => s with { User = new UserId($"warm-up-{s.User.Value}") }).ToList();
            await store.UpsertManyAsync(warmUp, cancellationToken).ConfigureAwait(false);
            _ = await store.GetManyAsync(warmUp.Select(s => s.User), cancellationToken).ConfigureAwait(false);
            await store.UpsertAsync(warmUp[0] with { PairCount = 1 }, cancellationToken).ConfigureAwait(false);
            _ = await store.GetAsync(warmUp[0].User, cancellationToken).ConfigureAwait(false);

            var stopwatch = Stopwatch.StartNew();
            await store.UpsertManyAsync(states, cancellationToken).ConfigureAwait(false);
            table.AddRow("`UpsertManyAsync` (one batch)", users.ToString("N0", CultureInfo.InvariantCulture), Rate(users, stopwatch.Elapsed));

            stopwatch.Restart();
            var read = await store.GetManyAsync(states.Select(s => s.User), cancellationToken).ConfigureAwait(false);
            table.AddRow("`GetManyAsync` (one batch)", read.Count.ToString("N0", CultureInfo.InvariantCulture), Rate(read.Count, stopwatch.Elapsed));

            var singles = Math.Min(users, 2_000);
            stopwatch.Restart();
            for (var i = 0; i < singles; i++)
            {
                await store.UpsertAsync(states[i] with { PairCount = 1 }, cancellationToken).ConfigureAwait(false);
            }

            table.AddRow("`UpsertAsync` (one user per call)", singles.ToString("N0", CultureInfo.InvariantCulture), Rate(singles, stopwatch.Elapsed));
            stopwatch.Restart();
            for (var i = 0; i < singles; i++)
            {
                _ = await store.GetAsync(states[i].User, cancellationToken).ConfigureAwait(false);
            }

            table.AddRow("`GetAsync` (one user per call)", singles.ToString("N0", CultureInfo.InvariantCulture), Rate(singles, stopwatch.Elapsed));
            return "### User store throughput\n\nAfter the same batch written and read back for as many other users (and one single write and read), so no figure includes opening the file or code still in .NET's first JIT tier. The store section below measures 100,000 users in batches of 1,000, and PostgreSQL beside LiteDB.\n\n" + table;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
    }

    private static string Ms(double milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds:F2} ms");

    private static string Rate(int count, TimeSpan elapsed) => (count / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture);
}
