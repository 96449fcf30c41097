using System.CommandLine;
using System.Globalization;
using Pluralistic.Cli.Output;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary>
/// <c>pluralistic compare</c>: which method for this data? A user-level split of the user's own file, every chosen
/// method trained and the reference rows fitted, then seen / unseen-after-k / per-group / calibration / margins over BT
/// in a markdown report with PNG plots — the ablation loop (<see cref="PopulationExperiment"/>) on the user's data.
/// </summary>
internal static class CompareCommand
{
    /// <summary>The k of the report's single-k columns when the curve has it.</summary>
    private const int PreferredContextPairs = 10;

    public static Command Create(CliEnvironment environment)
    {
        var data = CommonOptions.Data("Your preference pairs (JSONL); every user's pairs, split here by user.");
        var models = new Option<string?>("--models") { Description = $"Comma-separated model kinds (default: all available: {string.Join(",", environment.Kinds.Names)})." };
        var references = new Option<string?>("--references") { Description = $"Comma-separated reference rows, or none (default: all: {string.Join(",", ReferenceModels.Names)})." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where compare.md and images/ go.", DefaultValueFactory = _ => new DirectoryInfo("compare") };
        var seed = CommonOptions.Seed();
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the data for every method (default: each method's)." };
        var patience = CommonOptions.Patience();
        var anchor = CommonOptions.Anchor();
        var contextPairs = new Option<string?>("--context-pairs")
        {
            Description = $"Comma-separated context sizes k for unseen users (default: {string.Join(",", UserSplitOptions.DefaultContextSizes)}, as far as at least half of the unseen users have context pairs for).",
        };
        var defaults = new UserSplitOptions();
        var unseenFraction = new Option<double>("--unseen-fraction") { Description = "Share of the users held out entirely (unseen users).", DefaultValueFactory = _ => defaults.UnseenFraction };
        var heldOutFraction = new Option<double>("--held-out-fraction") { Description = "Share of a seen user's kept pairs held out for the seen figures.", DefaultValueFactory = _ => defaults.HeldOutFraction };
        var queryFraction = new Option<double>("--query-fraction") { Description = "Share of an unseen user's kept pairs that are queries (the rest is their context pool).", DefaultValueFactory = _ => defaults.UnseenQueryFraction };
        var minPairs = new Option<int>("--min-pairs") { Description = "Users with fewer pairs are left out.", DefaultValueFactory = _ => defaults.MinPairsPerUser };
        var embedder = CommonOptions.Embedder("records that carry text without vectors");
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var skipInvalid = CommonOptions.SkipInvalid();
        var json = CommonOptions.Json();
        var methodOptions = new MethodOptions(environment.Kinds);
        var command = new Command("compare", "Which method for this data: a user-level split, every method trained and the reference rows fitted; markdown report and PNG plots.")
        {
            data, models, references, output, seed, epochs, patience, anchor, contextPairs, unseenFraction, heldOutFraction, queryFraction, minPairs, embedder, device, threads, skipInvalid, json,
        };
        foreach (var option in methodOptions.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            _ = CommonOptions.GetThreads(parse, threads);
            var kinds = (CliData.SplitList(parse.GetValue(models)) ?? environment.Kinds.Names).Select(k => environment.Kinds.Get(k).Name).Distinct().ToList();
            methodOptions.CheckBelongToAny(kinds, parse);
            var referenceList = CliData.ParseReferences(parse.GetValue(references));
            if (parse.GetValue(epochs) is <= 0)
            {
                throw new ArgumentException("--epochs must be at least 1");
            }

            _ = CommonOptions.GetPatience(parse, patience);

            var splitOptions = new UserSplitOptions
            {
                UnseenFraction = parse.GetValue(unseenFraction),
                HeldOutFraction = parse.GetValue(heldOutFraction),
                UnseenQueryFraction = parse.GetValue(queryFraction),
                MinPairsPerUser = parse.GetValue(minPairs),
                ContextSizes = ParseSizes(parse.GetValue(contextPairs)),
                Seed = parse.GetValue(seed),
            };

            Torch.RewardTrainerOptions configure(Torch.RewardTrainerOptions trainer)
            {
                var configured = methodOptions.ApplyOwn(trainer, parse) with { Threads = CommonOptions.GetThreads(parse, threads) };
                configured = configured with
                {
                    Epochs = parse.GetValue(epochs) ?? configured.Epochs,
                    EarlyStoppingPatience = CommonOptions.GetPatience(parse, patience) ?? configured.EarlyStoppingPatience,
                    PopulationAnchor = parse.GetValue(anchor),
                };
                configured.Validate();
                return configured;
            }

            foreach (var kind in kinds)
            {
                // Bad option values fail here, before any data is read or any method trained.
                _ = configure(environment.Kinds.Get(kind).CreateDefaultOptions());
            }

            var file = parse.GetValue(data)!;
            var (dataset, fitted) = await CliData.LoadForTrainingAsync(file, Runs.TextEmbedderKinds.Get(parse.GetValue(embedder)!), parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
            fitted?.Dispose();
            var items = await PreferenceJsonl.ReadItemsAsync(file.FullName, dataset, cancellationToken).ConfigureAwait(false);
            var split = UserSplit.Create(file.Name, dataset, items, splitOptions);
            var sizes = split.Summary.ContextSizes;
            var mainK = sizes.Where(k => k <= PreferredContextPairs).DefaultIfEmpty(sizes[0]).Max();
            if (!quiet)
            {
                environment.Console.MarkupLine($"[bold]Compare[/] on {Markup.Escape(file.Name)}: {kinds.Count} methods, {referenceList.Count} reference rows (seed {splitOptions.Seed}).");
                foreach (var line in CompareReport.DescribeSplit(split.Summary).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    environment.Console.MarkupLine(Markup.Escape(line));
                }
            }

            var options = new ExperimentOptions
            {
                Kinds = environment.Kinds,
                Models = kinds,
                References = referenceList,
                Seed = splitOptions.Seed,
                ContextPairs = mainK,
                Device = parse.GetValue(device)!,
                FewShotContextSizes = sizes,
                ConfigureTrainer = configure,
            };
            var run = await PopulationExperiment.RunAsync(split.Population, options, quiet ? null : new ExperimentMilestones(environment.Console), cancellationToken).ConfigureAwait(false);

            var directory = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(directory);
            var markdown = CompareReport.Write(split.Summary, run, mainK, Path.Combine(directory, "images"), "images/");
            var path = Path.Combine(directory, "compare.md");
            var header = $"# Which method for {file.Name}?\n\n`pluralistic compare` (seed {splitOptions.Seed}): every method with {(parse.GetValue(epochs) is { } e ? $"{e} epochs" : "its defaults")}{(parse.GetValue(patience) is { } p ? $" (patience {p})" : "")}, the reference rows beside them. How to read it: docs/your-data.md#which-method-for-my-data.\n\n";
            await File.WriteAllTextAsync(path, (header + markdown).ReplaceLineEndings("\n"), cancellationToken).ConfigureAwait(false);

            var result = new CompareResult(path, file.FullName, mainK, split.Summary, run.Rows, run.UnavailableReferences);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.CompareResult).ConfigureAwait(false);
                return 0;
            }

            Render(environment.Console, result);
            return 0;
        });
        return command;
    }

    private static void Render(IAnsiConsole console, CompareResult result)
    {
        var table = new Table()
            .AddColumns("row", "seen", $"unseen k={result.ContextPairs}", "points over BT, seen", $"points over BT, unseen k={result.ContextPairs}", "train s");
        foreach (var row in result.Rows)
        {
            table.AddRow(
                Markup.Escape(row.IsReference ? $"{row.Model} (reference)" : row.Model),
                MetricsFormat.Percent(row.Seen.Accuracy),
                MetricsFormat.Percent(row.Unseen.Accuracy),
                Markup.Escape(row.IsBaseline ? "-" : row.SeenOverBaseline?.ToPoints() ?? "-"),
                Markup.Escape(row.IsBaseline ? "-" : row.UnseenOverBaseline?.ToPoints() ?? "-"),
                row.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        foreach (var reference in result.Unavailable)
        {
            table.AddRow(Markup.Escape($"{reference.Name} (reference)"), "n/a", "n/a", "n/a", "n/a", "n/a");
        }

        console.Write(table);
        foreach (var reference in result.Unavailable)
        {
            console.MarkupLine(Markup.Escape($"{reference.Name}: n/a, {reference.Reason}."));
        }

        console.MarkupLine($"Wrote {Markup.Escape(result.Report)} and its plots.");
    }

    private static int[]? ParseSizes(string? value)
    {
        if (CliData.SplitList(value) is not { } parts)
        {
            return null;
        }

        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k >= 1
                ? k
                : throw new ArgumentException($"--context-pairs: '{p}' is not a whole number of at least 1 (for example \"1,2,5,10\")"))
            .ToArray();
    }
}

/// <summary>The result of <c>compare</c>.</summary>
/// <param name="Report">The markdown report written.</param>
/// <param name="Data">The data file.</param>
/// <param name="ContextPairs">The k of the single-k figures (unseen accuracy, margins over BT, per group).</param>
/// <param name="Split">What the user-level split did.</param>
/// <param name="Rows">One row per method, then per reference that ran.</param>
/// <param name="Unavailable">The references that could not run, with the reason.</param>
internal sealed record CompareResult(string Report, string Data, int ContextPairs, UserSplitSummary Split, IReadOnlyList<ExperimentRow> Rows, IReadOnlyList<UnavailableReference> Unavailable);
