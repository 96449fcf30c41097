using System.CommandLine;
using System.Globalization;
using Pluralistic.Cli.Output;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Runs;
using Pluralistic.Torch;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary>
/// <c>pluralistic demo</c>: the main job end to end on the embedded defaults — generate every synthetic preset,
/// train every available method, save runs (with user states), evaluate seen and unseen users, and print the
/// results beside the oracle.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Where data and runs go.",
            DefaultValueFactory = _ => new DirectoryInfo("pluralistic-demo"),
        };
        var models = new Option<string?>("--models") { Description = $"Comma-separated model kinds (default: all available: {string.Join(",", environment.Kinds.Names)})." };
        var presets = new Option<string?>("--presets") { Description = $"Comma-separated presets (default: {string.Join(",", PreparedPopulation.DemoPresets)})." };
        var seed = CommonOptions.Seed();
        var contextPairs = new Option<int>("--context-pairs") { Description = "Context pairs per unseen user.", DefaultValueFactory = _ => 10 };
        var device = CommonOptions.Device();
        var embedder = CommonOptions.Embedder("the text preset");
        var json = CommonOptions.Json();
        var fullTraining = new Option<bool>("--full-training")
        {
            Description = $"Train every method with its defaults instead of the demo's shorter schedule ({DescribeQuickSchedule(environment.Kinds)}, and the personalized methods alone, without the population anchor and its fold models): several more minutes on 2 cores, the figures of `pluralistic ablate` and docs/benchmarks.md.",
        };
        var command = new Command("demo", "Generate the synthetic presets, train every available method, store user states, evaluate, and print results beside the oracle.")
        {
            output, models, presets, seed, contextPairs, device, embedder, json, fullTraining,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var directory = parse.GetValue(output)!.FullName;
            var options = new ExperimentOptions
            {
                Presets = CliData.SplitList(parse.GetValue(presets)) ?? PreparedPopulation.DemoPresets,
                Kinds = environment.Kinds,
                Models = CliData.SplitList(parse.GetValue(models)) ?? environment.Kinds.Names,
                Seed = parse.GetValue(seed),
                ContextPairs = parse.GetValue(contextPairs),
                Device = parse.GetValue(device)!,
                TextEmbedder = TextEmbedderKinds.Get(parse.GetValue(embedder)!).Name,
                OutputDirectory = directory,
                ConfigureTrainer = parse.GetValue(fullTraining) ? null : options => ShortenTraining(environment.Kinds, options),
            };
            CliData.CheckPresets(options.Presets);
            _ = options.Models.Select(environment.Kinds.Get).ToList();
            var started = DateTime.UtcNow;
            IReadOnlyList<ExperimentRow> rows;
            if (quiet)
            {
                rows = await PopulationExperiment.RunAsync(options, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                environment.Console.MarkupLine($"[bold]Pluralistic demo[/]: {options.Presets.Count} synthetic populations x {options.Models.Count} methods; data and runs in {Markup.Escape(directory)}");
                rows = await PopulationExperiment.RunAsync(options, new ExperimentMilestones(environment.Console), cancellationToken).ConfigureAwait(false);
            }

            var result = new DemoResult(directory, Math.Round((DateTime.UtcNow - started).TotalSeconds, 1), options.ContextPairs, rows, FullTraining: options.ConfigureTrainer is null);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.DemoResult).ConfigureAwait(false);
                return 0;
            }

            Render(environment.Console, result, environment.Kinds);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The demo's shorter schedule (<see cref="RewardModelKind.Quicken"/>): VPL and FSPO train fewer epochs, MaxMin
    /// fixes K, and the personalized methods train alone (the population anchor's fit trains four fold models, which
    /// took the demo from under 5 to almost 10 minutes on 2 cores), so the whole demo stays within a few minutes;
    /// every other option, and every option a caller set lower, is left as it is.
    /// </summary>
    internal static string DescribeQuickSchedule(RewardModelKindRegistry kinds) => string.Join(
        ", ", kinds.All.Select(k => k.QuickScheduleDescription).OfType<string>());

    internal static RewardTrainerOptions ShortenTraining(RewardModelKindRegistry kinds, RewardTrainerOptions options) =>
        (kinds.All.FirstOrDefault(k => k.OptionsType == options.GetType())?.Quicken(options) ?? options) with { PopulationAnchor = false };

    private static void Render(IAnsiConsole console, DemoResult result, RewardModelKindRegistry kinds)
    {
        // One compact table per preset (fits an 80-column log), the oracle and best single reward in its caption.
        foreach (var preset in result.Rows.GroupBy(r => r.Preset))
        {
            var first = preset.First();
            var table = new Table()
                .Title($"[bold]{Markup.Escape(preset.Key)}[/]")
                .Caption(Markup.Escape(
                    $"oracle: seen {MetricsFormat.Percent(first.Seen.OracleAccuracy)}, unseen {MetricsFormat.Percent(first.Unseen.OracleAccuracy)}; " +
                    $"best single reward: seen {MetricsFormat.Percent(first.BestSingleSeen)}, unseen {MetricsFormat.Percent(first.BestSingleUnseen)}"))
                .AddColumns("model", "seen", $"unseen k={result.ContextPairs}", "minority", "worst group", "ECE", "states", "train s");
            foreach (var row in preset)
            {
                table.AddRow(
                    row.Model,
                    MetricsFormat.Percent(row.Seen.Accuracy),
                    MetricsFormat.Percent(row.Unseen.Accuracy),
                    MetricsFormat.Percent(row.SeenMinorityAccuracy),
                    $"{Markup.Escape(row.Seen.WorstGroup ?? "-")} {MetricsFormat.Percent(row.Seen.WorstGroupAccuracy)}",
                    MetricsFormat.Number(row.Seen.Ece),
                    row.StoredUserStates?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    row.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
            }

            console.Write(table);
        }

        console.MarkupLine($"Done in {result.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s. Accuracy is on held-out pairs; unseen users were adapted from their first {result.ContextPairs} pairs.");
        if (!result.FullTraining)
        {
            console.MarkupLine($"Shorter schedule here: {Markup.Escape(DescribeQuickSchedule(kinds))}; --full-training or `pluralistic ablate` train every method with its defaults.");
        }

        console.MarkupLine($"Runs (manifest, weights, users.db) are in {Markup.Escape(result.Directory)}/<preset>/runs/<model>. Try:");
        console.MarkupLine(Markup.Escape($"  pluralistic evaluate --run {result.Directory}/groups/runs/bt --data {result.Directory}/groups/data/test_unseen.jsonl --context-pairs 10"));
    }
}

/// <summary>The result of <c>demo</c>.</summary>
/// <param name="Directory">Where data and runs went.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="ContextPairs">Context pairs per unseen user.</param>
/// <param name="Rows">One row per preset and method.</param>
/// <param name="FullTraining">Whether every method trained with its default epochs (otherwise VPL and FSPO trained the demo's fewer).</param>
internal sealed record DemoResult(string Directory, double Seconds, int ContextPairs, IReadOnlyList<ExperimentRow> Rows, bool FullTraining);
