using System.CommandLine;
using Pluralistic.Cli.Output;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Runs;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary><c>pluralistic predict</c>: scores every pair of a file for its own user, writing one JSON object per pair.</summary>
internal static class PredictCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var run = CommonOptions.Run();
        var data = CommonOptions.Data("Pairs to score (JSONL).");
        var output = new Option<FileInfo>("--out") { Description = "The predictions file (JSONL) to write.", Required = true };
        var contextPairs = CommonOptions.ContextPairs();
        var coldStart = CommonOptions.ColdStart();
        var direction = CommonOptions.Direction();
        var device = CommonOptions.Device();
        var skipInvalid = CommonOptions.SkipInvalid();
        var json = CommonOptions.Json();
        var command = new Command("predict", "Score every pair for its user: line, user_id, p_chosen, reward_chosen, reward_rejected per line.")
        {
            run, data, output, contextPairs, coldStart, direction, device, skipInvalid, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var k = parse.GetValue(contextPairs);
            if (k < 0)
            {
                throw new ArgumentException("--context-pairs must be 0 or more");
            }

            var dataset = await CliData.LoadForRunAsync(parse.GetValue(data)!, parse.GetValue(run)!, parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
            using var model = RunDirectory.Open(parse.GetValue(run)!.FullName, new RunOpenOptions { Device = parse.GetValue(device)! });
            var result = await RewardModelEvaluator.EvaluateAsync(
                model,
                dataset,
                new EvaluationOptions { ContextPairs = k, AllowColdStart = parse.GetValue(coldStart), Direction = CliData.ParseDirection(parse.GetValue(direction)) },
                cancellationToken).ConfigureAwait(false);

            var predictions = Enumerable.Range(0, result.ScoredData.Count).Select(i => new PredictionRecord(
                result.Lines[i],
                result.ScoredData.UserAt(i).Value,
                result.Predictions.ProbabilityChosen(i),
                result.Predictions.RewardChosen[i],
                result.Predictions.RewardRejected[i])).ToList();
            var path = parse.GetValue(output)!.FullName;
            await WriteAtomicallyAsync(path, predictions, cancellationToken).ConfigureAwait(false);

            var summary = new PredictResult(predictions.Count, result.ContextRecords, result.UsersWithoutQueries, path);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, summary, CliJsonContext.Default.PredictResult).ConfigureAwait(false);
                return 0;
            }

            environment.Console.MarkupLine(
                $"Scored {summary.Predicted} pairs" + (k > 0 ? $" after adapting users on {summary.ContextRecords} context pairs" : string.Empty) +
                $"; predictions written to {Markup.Escape(path)}");
            return 0;
        });
        return command;
    }

    private static async Task WriteAtomicallyAsync(string path, IReadOnlyList<PredictionRecord> predictions, CancellationToken cancellationToken)
    {
        // Write beside the target and move, so a failure never leaves a half-written predictions file.
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await PreferenceJsonl.WritePredictionsAsync(stream, predictions, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>The result of <c>predict</c>.</summary>
internal sealed record PredictResult(int Predicted, int ContextRecords, int UsersWithoutQueries, string Out);
