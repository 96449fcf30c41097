using System.CommandLine;
using System.Globalization;
using Pluralistic.Cli.Output;
using Pluralistic.Runs;
using Pluralistic.Torch;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary><c>pluralistic train</c>: trains a population model and the seen users' states into a run directory.</summary>
internal static class TrainCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var model = new Option<string>("--model")
        {
            Description = $"The method: {string.Join(", ", environment.Kinds.Names)}.",
            Required = true,
        };
        var data = CommonOptions.Data("Training pairs (JSONL).");
        var output = new Option<DirectoryInfo>("--out") { Description = "The run directory to write.", Required = true };
        var seed = CommonOptions.Seed();
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the data (default: the method's)." };
        var patience = CommonOptions.Patience();
        var anchor = CommonOptions.Anchor();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var force = new Option<bool>("--force") { Description = "Overwrite a run already in --out." };
        var skipInvalid = CommonOptions.SkipInvalid();
        var embedder = CommonOptions.Embedder("records that carry text without vectors");
        var json = CommonOptions.Json();
        var store = CommonOptions.Store();
        var methodOptions = new MethodOptions(environment.Kinds);

        var command = new Command("train", "Train a population model and the states of the users in the data; writes a run directory.")
        {
            model, data, output, seed, epochs, patience, anchor, device, threads, force, skipInvalid, embedder, store, json,
        };
        foreach (var option in methodOptions.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var kind = environment.Kinds.Get(parse.GetValue(model)!);
            var embedderKind = TextEmbedderKinds.Get(parse.GetValue(embedder)!);
            var directory = parse.GetValue(output)!.FullName;
            if (File.Exists(Path.Combine(directory, Checkpoint.ManifestFile)) && !parse.GetValue(force))
            {
                throw new RunDirectoryException(directory, $"'{directory}' already holds a run; pass --force to overwrite it");
            }

            var options = methodOptions.Apply(kind, kind.CreateDefaultOptions(), parse);
            options = options with
            {
                Seed = parse.GetValue(seed),
                Epochs = parse.GetValue(epochs) ?? options.Epochs,
                EarlyStoppingPatience = CommonOptions.GetPatience(parse, patience) ?? options.EarlyStoppingPatience,
                Device = parse.GetValue(device)!,
                Threads = CommonOptions.GetThreads(parse, threads),
                PopulationAnchor = parse.GetValue(anchor),
            };
            options.Validate();

            // Limits checked before any data is read or anything allocated (again with the data's dimension below).
            var flagNames = methodOptions.FlagNames(kind.CreateDefaultOptions(), parse);
            OptionLimits.Check(options, nameOf: flagNames);

            // Taken before training: an existing run stays locked (no other process may open it) until the new one
            // has taken its place, and a run another process holds is refused before any work is done.
            using var replacement = RunReplacement.Begin(directory, parse.GetValue(force));
            var (dataset, textEmbedder) = await CliData.LoadForTrainingAsync(
                parse.GetValue(data)!, embedderKind, parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
            using var disposeEmbedder = textEmbedder;
            OptionLimits.Check(options, dataset.ResponseDimension, dataset.PromptDimension, flagNames);
            using var trained = ProgressDisplay.Run(environment.Console, quiet, $"train {kind.Name}", progress => kind.Train(options, dataset, progress, cancellationToken));
            var manifest = await RunDirectory.SaveAsync(trained, replacement, textEmbedder, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(store) is { Length: > 0 } connectionString)
            {
                // users.db keeps its copy (the run stays self-contained); the database gets the run's scope.
                await CliStore.CopyAsync(trained.GetRequiredService<IUserStateStoreAccessor>().UserStates, connectionString, manifest, cancellationToken).ConfigureAwait(false);
            }

            var result = new TrainResult(
                kind.Name,
                directory,
                dataset.Count,
                dataset.Users.Count,
                manifest.Weights.Sha256,
                manifest.Metrics,
                manifest.TextEmbedder?.Name);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.TrainResult).ConfigureAwait(false);
                return 0;
            }

            var embedded = manifest.TextEmbedder is { } record ? $" (text embedded by {Markup.Escape(record.Describe())})" : string.Empty;
            environment.Console.MarkupLine(
                $"Trained [bold]{Markup.Escape(kind.DisplayName)}[/] on {dataset.Count} pairs of {dataset.Users.Count} users{embedded}; run written to {Markup.Escape(directory)}");
            var table = new Table().AddColumns("metric", "value");
            foreach (var (name, value) in manifest.Metrics)
            {
                table.AddRow(name, value.ToString("G4", CultureInfo.InvariantCulture));
            }

            environment.Console.Write(table);
            return 0;
        });
        return command;
    }
}

/// <summary>The result of <c>train</c>.</summary>
internal sealed record TrainResult(string Model, string Run, int Records, int Users, string Fingerprint, IReadOnlyDictionary<string, double> Metrics, string? TextEmbedder);
