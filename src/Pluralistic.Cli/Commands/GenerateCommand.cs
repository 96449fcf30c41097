using System.CommandLine;
using Pluralistic.Cli.Output;
using Pluralistic.Data;
using Pluralistic.Experiments;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary><c>pluralistic generate</c>: writes a synthetic population with its oracle.</summary>
internal static class GenerateCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var preset = new Option<string>("--preset")
        {
            Description = $"The population: {string.Join(", ", PreparedPopulation.Presets)}.",
            DefaultValueFactory = _ => "groups",
        };
        preset.AcceptOnlyFromAmong([.. PreparedPopulation.Presets]);
        var output = new Option<DirectoryInfo>("--out") { Description = "Output directory.", Required = true };
        var seed = CommonOptions.Seed();
        var seenUsers = new Option<int?>("--seen-users") { Description = "Users in the training data (default 200)." };
        var unseenUsers = new Option<int?>("--unseen-users") { Description = "Users held out of training (default 60)." };
        var trainPairs = new Option<int?>("--train-pairs") { Description = "Training pairs per seen user (default 40)." };
        var dimension = new Option<int?>("--dimension") { Description = "Response vector length (default 32)." };
        var json = CommonOptions.Json();

        var command = new Command("generate", "Write a synthetic population: train.jsonl, test_seen.jsonl, test_unseen.jsonl and oracle.json.")
        {
            preset, output, seed, seenUsers, unseenUsers, trainPairs, dimension, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var defaults = new SyntheticPopulationOptions();
            var options = defaults with
            {
                Preset = parse.GetValue(preset)!,
                Seed = parse.GetValue(seed),
                SeenUsers = parse.GetValue(seenUsers) ?? defaults.SeenUsers,
                UnseenUsers = parse.GetValue(unseenUsers) ?? defaults.UnseenUsers,
                TrainPairsPerUser = parse.GetValue(trainPairs) ?? defaults.TrainPairsPerUser,
                ResponseDimension = parse.GetValue(dimension) ?? defaults.ResponseDimension,
            };
            var directory = parse.GetValue(output)!.FullName;
            var (oracle, description) = PreparedPopulation.GenerateText(options.Preset, options) is { } text
                ? await WriteTextAsync(text, directory, cancellationToken).ConfigureAwait(false)
                : await WriteVectorsAsync(options, directory, cancellationToken).ConfigureAwait(false);

            var result = new GenerateResult(
                options.Preset,
                options.Seed,
                directory,
                oracle.Splits.ToDictionary(
                    s => s.Key,
                    s => new GeneratedSplit(s.Value.Records, s.Value.OracleAccuracy, s.Value.BestSingleRewardAccuracy)));
            if (parse.GetValue(json))
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.GenerateResult).ConfigureAwait(false);
                return 0;
            }

            var table = new Table().AddColumns("split", "records", "oracle accuracy", "best single reward");
            foreach (var (name, split) in result.Splits)
            {
                table.AddRow(name, split.Records.ToString(System.Globalization.CultureInfo.InvariantCulture), split.OracleAccuracy.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), split.BestSingleRewardAccuracy.ToString("F3", System.Globalization.CultureInfo.InvariantCulture));
            }

            environment.Console.MarkupLine($"Wrote the [bold]{Markup.Escape(options.Preset)}[/] population (seed {options.Seed}) to {Markup.Escape(directory)}");
            environment.Console.MarkupLine($"[grey]{Markup.Escape(description)}[/]");
            environment.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static async Task<(OracleReport, string)> WriteVectorsAsync(SyntheticPopulationOptions options, string directory, CancellationToken cancellationToken)
    {
        var population = SyntheticPopulation.Generate(options);
        await population.WriteAsync(directory, cancellationToken).ConfigureAwait(false);
        return (population.Oracle, population.Description);
    }

    private static async Task<(OracleReport, string)> WriteTextAsync(ISyntheticTextPopulation population, string directory, CancellationToken cancellationToken)
    {
        await population.WriteAsync(directory, cancellationToken).ConfigureAwait(false);
        return (population.Oracle, population.Description);
    }
}

/// <summary>The result of <c>generate</c>.</summary>
internal sealed record GenerateResult(string Preset, int Seed, string Directory, IReadOnlyDictionary<string, GeneratedSplit> Splits);

/// <summary>One generated split.</summary>
internal sealed record GeneratedSplit(int Records, double OracleAccuracy, double BestSingleRewardAccuracy);
