using System.CommandLine;
using System.Globalization;
using Pluralistic.Cli.Output;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Models;
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
        var models = new Option<string?>("--models") { Description = $"Comma-separated model kinds (default: all available: {string.Join(",", RewardModelKinds.AvailableNames)})." };
        var presets = new Option<string?>("--presets") { Description = $"Comma-separated presets (default: {string.Join(",", PreparedPopulation.Presets)})." };
        var seed = CommonOptions.Seed();
        var contextPairs = new Option<int>("--context-pairs") { Description = "Context pairs per unseen user.", DefaultValueFactory = _ => 10 };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("demo", "Generate the synthetic presets, train every available method, store user states, evaluate, and print results beside the oracle.")
        {
            output, models, presets, seed, contextPairs, device, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var directory = parse.GetValue(output)!.FullName;
            var options = new ExperimentOptions
            {
                Presets = CliData.SplitList(parse.GetValue(presets)) ?? PreparedPopulation.Presets,
                Models = CliData.SplitList(parse.GetValue(models)) ?? RewardModelKinds.AvailableNames,
                Seed = parse.GetValue(seed),
                ContextPairs = parse.GetValue(contextPairs),
                Device = parse.GetValue(device)!,
                OutputDirectory = directory,
            };
            CliData.CheckPresets(options.Presets);
            _ = options.Models.Select(RewardModelKinds.Get).ToList();
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

            var result = new DemoResult(directory, Math.Round((DateTime.UtcNow - started).TotalSeconds, 1), options.ContextPairs, rows);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.DemoResult).ConfigureAwait(false);
                return 0;
            }

            Render(environment.Console, result);
            return 0;
        });
        return command;
    }

    private static void Render(IAnsiConsole console, DemoResult result)
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
        console.MarkupLine($"Runs (manifest, weights, users.db) are in {Markup.Escape(result.Directory)}/<preset>/runs/<model>. Try:");
        console.MarkupLine(Markup.Escape($"  pluralistic evaluate --run {result.Directory}/groups/runs/bt --data {result.Directory}/groups/data/test_unseen.jsonl --context-pairs 10"));
    }
}

/// <summary>The result of <c>demo</c>.</summary>
internal sealed record DemoResult(string Directory, double Seconds, int ContextPairs, IReadOnlyList<ExperimentRow> Rows);
