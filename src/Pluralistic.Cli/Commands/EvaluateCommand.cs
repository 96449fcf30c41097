using System.CommandLine;
using System.Globalization;
using Pluralistic.Cli.Output;
using Pluralistic.Evaluation;
using Pluralistic.Runs;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary><c>pluralistic evaluate</c>: accuracy, log-loss, Brier, ECE, per-user, per-group and worst-group accuracy.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var run = CommonOptions.Run();
        var data = CommonOptions.Data("Labelled pairs to evaluate on (JSONL).");
        var contextPairs = CommonOptions.ContextPairs();
        var coldStart = CommonOptions.ColdStart();
        var direction = CommonOptions.Direction();
        var baseline = new Option<DirectoryInfo?>("--baseline") { Description = "A baseline run (usually bt) evaluated the same way, for the gap closed." };
        var sensitivity = new Option<bool>("--context-sensitivity")
        {
            Description = "Also adapt users on their context with every label flipped and report the fraction of predictions that flip (needs --context-pairs).",
        };
        var device = CommonOptions.Device();
        var skipInvalid = CommonOptions.SkipInvalid();
        var json = CommonOptions.Json();
        var store = CommonOptions.Store();
        var command = new Command("evaluate", "Measure a run on labelled pairs; with oracle.json beside a generated file, the oracle is shown on the same pairs.")
        {
            run, data, contextPairs, coldStart, direction, baseline, sensitivity, device, skipInvalid, store, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var file = parse.GetValue(data)!;
            var options = new EvaluationOptions
            {
                ContextPairs = parse.GetValue(contextPairs),
                AllowColdStart = parse.GetValue(coldStart),
                Direction = CliData.ParseDirection(parse.GetValue(direction)),
                MeasureContextSensitivity = parse.GetValue(sensitivity),
            };
            if (options.MeasureContextSensitivity && options.ContextPairs <= 0)
            {
                throw new ArgumentException("--context-sensitivity needs --context-pairs K > 0");
            }

            var device_ = parse.GetValue(device)!;
            EvaluationResult result;
            ActiveUnitsReport? activeUnits = null;
            PreferenceDataset dataset;
            using (var opened = await Run.OpenAsync(parse.GetValue(run)!.FullName, CliStore.Apply(new RunOpenOptions { Device = device_, Kinds = environment.Kinds }, parse.GetValue(store)), cancellationToken).ConfigureAwait(false))
            {
                dataset = await CliData.LoadForRunAsync(file, opened, parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
                result = await RewardModelEvaluator.EvaluateAsync(opened.Model, dataset, options, cancellationToken).ConfigureAwait(false);
                activeUnits = await ActiveUnitsAsync(opened.Model, cancellationToken).ConfigureAwait(false);
            }

            double? baselineAccuracy = null;
            if (parse.GetValue(baseline) is { } baselineRun)
            {
                using var baseline_ = await Run.OpenAsync(baselineRun.FullName, CliStore.Apply(new RunOpenOptions { Device = device_, Kinds = environment.Kinds }, parse.GetValue(store)), cancellationToken).ConfigureAwait(false);
                baselineAccuracy = (await RewardModelEvaluator.EvaluateAsync(baseline_.Model, dataset, options with { MeasureContextSensitivity = false }, cancellationToken).ConfigureAwait(false)).Metrics.Accuracy;
            }

            var oracle = OracleLookup.Find(file.FullName, dataset.Count)?.AccuracyOn(result.Lines);
            var metrics = result.Metrics.WithReference(oracle?.Oracle, baselineAccuracy);
            var report = new EvaluateResult(
                metrics,
                options.ContextPairs,
                result.ContextRecords,
                result.UsersWithoutQueries,
                result.ContextSensitivity,
                oracle?.BestSingle,
                activeUnits?.ActiveUnits,
                activeUnits?.LatentSize);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, report, CliJsonContext.Default.EvaluateResult).ConfigureAwait(false);
                return 0;
            }

            Render(environment.Console, report);
            return 0;
        });
        return command;
    }

    /// <summary>For latent-variable models, how many latent dimensions vary across the run's stored users (0 = collapsed).</summary>
    private static async Task<ActiveUnitsReport?> ActiveUnitsAsync(IUserRewardModel model, CancellationToken cancellationToken)
    {
        if (model.GetService<IUserPosterior>() is not { } posterior || model.GetService<IUserStateStoreAccessor>() is not { } accessor)
        {
            return null;
        }

        var users = new List<UserId>();
        await foreach (var state in accessor.UserStates.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            users.Add(state.User);
            if (users.Count == 2000)
            {
                break;
            }
        }

        return users.Count < 2 ? null : await posterior.MeasureActiveUnitsAsync(users, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static void Render(IAnsiConsole console, EvaluateResult report)
    {
        var m = report.Metrics;
        var table = new Table().AddColumns("metric", "value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("pairs scored", m.Count.ToString(CultureInfo.InvariantCulture));
        Row("users", m.Users.ToString(CultureInfo.InvariantCulture));
        if (report.ContextPairs > 0)
        {
            Row("context pairs per user", report.ContextPairs.ToString(CultureInfo.InvariantCulture));
        }

        Row("accuracy", MetricsFormat.Percent(m.Accuracy) + (m.OracleAccuracy is { } o ? $"  (oracle {MetricsFormat.Percent(o)})" : string.Empty));
        if (report.BestSingleRewardAccuracy is { } single)
        {
            Row("best single reward (hidden truth)", MetricsFormat.Percent(single));
        }

        Row("mean per-user accuracy", MetricsFormat.Percent(m.MeanUserAccuracy));
        Row("log-loss", MetricsFormat.Number(m.LogLoss));
        Row("Brier", MetricsFormat.Number(m.Brier));
        Row("ECE", MetricsFormat.Number(m.Ece));
        foreach (var (group, g) in m.PerGroup)
        {
            Row($"group {group}", $"{MetricsFormat.Percent(g.Accuracy)} ({g.Count} pairs, {g.Users} users)");
        }

        if (m.WorstGroup is not null)
        {
            Row("worst group", $"{m.WorstGroup} {MetricsFormat.Percent(m.WorstGroupAccuracy)}");
        }

        if (m.GapClosed is { } gap)
        {
            Row("gap closed vs baseline", MetricsFormat.Number(gap));
        }

        if (report.ContextSensitivity is { } sensitivity)
        {
            Row("context sensitivity (label flip)", MetricsFormat.Number(sensitivity));
        }

        if (report.ActiveLatentUnits is { } active)
        {
            Row("active latent units (stored users)", $"{active} of {report.LatentSize}");
        }

        console.Write(table);
    }
}

/// <summary>The result of <c>evaluate</c>.</summary>
internal sealed record EvaluateResult(
    PreferenceMetrics Metrics,
    int ContextPairs,
    int ContextRecords,
    int UsersWithoutQueries,
    double? ContextSensitivity,
    double? BestSingleRewardAccuracy,
    int? ActiveLatentUnits,
    int? LatentSize);
