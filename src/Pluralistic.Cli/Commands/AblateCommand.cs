using System.CommandLine;
using System.Globalization;
using Pluralistic.Cli.Output;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Runs;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary>
/// <c>pluralistic ablate</c>: every available method on every preset, written as a markdown report with PNG plots
/// (few-shot curves, reliability diagrams, per-group accuracy).
/// </summary>
internal static class AblateCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Where ablation.md and images/ go.", DefaultValueFactory = _ => new DirectoryInfo("ablation") };
        var models = new Option<string?>("--models") { Description = $"Comma-separated model kinds (default: all available: {string.Join(",", environment.Kinds.Names)})." };
        var references = new Option<string?>("--references")
        {
            Description = $"Comma-separated reference rows beside the methods, or none (default: all: {string.Join(",", ReferenceModels.Names)}; those the presets cannot run, the item references since synthetic records name no items, are listed as not applicable).",
        };
        var presets = new Option<string?>("--presets") { Description = $"Comma-separated presets (default: {string.Join(",", PreparedPopulation.Presets)})." };
        var seed = CommonOptions.Seed();
        var contextPairs = new Option<int>("--context-pairs") { Description = "Context pairs per unseen user for the main table.", DefaultValueFactory = _ => 10 };
        var heldOutPairs = new Option<int>("--held-out-pairs")
        {
            Description = "Also score every model on this many further held-out pairs per seen user of each vector preset (same training data), for a precise seen figure.",
            DefaultValueFactory = _ => 0,
        };
        var heldOutUsers = new Option<int>("--held-out-users")
        {
            Description = "Also score every model on this many further unseen users of each vector preset (same training data), for a precise unseen figure.",
            DefaultValueFactory = _ => 0,
        };
        var device = CommonOptions.Device();
        var embedder = CommonOptions.Embedder("the text preset");
        var json = CommonOptions.Json();
        var anchor = CommonOptions.Anchor();
        var command = new Command("ablate", "Run every method on every preset; write a markdown table and PNG plots.")
        {
            output, models, references, presets, seed, contextPairs, heldOutPairs, heldOutUsers, device, embedder, anchor, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var directory = parse.GetValue(output)!.FullName;
            if (parse.GetValue(heldOutUsers) < 0)
            {
                throw new ArgumentException("--held-out-users must be 0 or more");
            }

            if (parse.GetValue(heldOutPairs) < 0)
            {
                throw new ArgumentException("--held-out-pairs must be 0 or more");
            }

            var options = new ExperimentOptions
            {
                Presets = CliData.SplitList(parse.GetValue(presets)) ?? PreparedPopulation.Presets,
                Kinds = environment.Kinds,
                Models = CliData.SplitList(parse.GetValue(models)) ?? environment.Kinds.Names,
                References = CliData.ParseReferences(parse.GetValue(references)),
                Seed = parse.GetValue(seed),
                ContextPairs = parse.GetValue(contextPairs),
                HeldOutUsers = parse.GetValue(heldOutUsers),
                HeldOutSeenPairs = parse.GetValue(heldOutPairs),
                Device = parse.GetValue(device)!,
                TextEmbedder = TextEmbedderKinds.Get(parse.GetValue(embedder)!).Name,
                FewShotContextSizes = FewShotOptions.DefaultContextSizes,
                ConfigureTrainer = parse.GetValue(anchor) ? null : trainer => trainer with { PopulationAnchor = false },
            };
            CliData.CheckPresets(options.Presets);
            var runs = await PopulationExperiment.RunPresetsAsync(options, quiet ? null : new ExperimentMilestones(environment.Console), cancellationToken).ConfigureAwait(false);
            var rows = runs.SelectMany(r => r.Rows).ToList();
            var markdown = AblationReport.Write(runs, Path.Combine(directory, "images"), "images/", options.ContextPairs);
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, "ablation.md");
            await File.WriteAllTextAsync(path, $"# Ablation\n\nEvery method on every preset (seed {options.Seed}), the reference rows beside them.\n\n{markdown}".ReplaceLineEndings("\n"), cancellationToken).ConfigureAwait(false);

            var result = new AblateResult(path, rows.Count);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.AblateResult).ConfigureAwait(false);
                return 0;
            }

            environment.Console.MarkupLine($"Wrote {Markup.Escape(path)} ({rows.Count.ToString(CultureInfo.InvariantCulture)} model x preset rows) and its plots.");
            return 0;
        });
        return command;
    }
}

/// <summary>The result of <c>ablate</c>.</summary>
internal sealed record AblateResult(string Report, int Rows);
