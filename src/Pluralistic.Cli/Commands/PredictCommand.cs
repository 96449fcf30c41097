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
        var store = CommonOptions.Store();
        var aggregate = new Option<string?>("--aggregate")
        {
            Description = "Score each pair for the file's users as one population (models with group rewards, e.g. maxmin): utilitarian or egalitarian reward.",
        };
        aggregate.AcceptOnlyFromAmong("utilitarian", "egalitarian");
        var command = new Command("predict", "Score every pair for its user: line, user_id, p_chosen, reward_chosen, reward_rejected per line.")
        {
            run, data, output, contextPairs, coldStart, direction, device, skipInvalid, store, json, aggregate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var k = parse.GetValue(contextPairs);
            if (k < 0)
            {
                throw new ArgumentException("--context-pairs must be 0 or more");
            }

            OutputPaths.EnsureSafe("--out", parse.GetValue(output)!.FullName, [("--data", parse.GetValue(data)!.FullName)], [parse.GetValue(run)!.FullName]);
            using var opened = await Run.OpenAsync(parse.GetValue(run)!.FullName, CliStore.Apply(new RunOpenOptions { Device = parse.GetValue(device)!, Kinds = environment.Kinds }, parse.GetValue(store)), cancellationToken).ConfigureAwait(false);
            var dataset = await CliData.LoadForRunAsync(parse.GetValue(data)!, opened, parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
            var model = opened.Model;
            var path = parse.GetValue(output)!.FullName;
            var aggregation = parse.GetValue(aggregate);
            if (aggregation is not null)
            {
                if (k > 0 || parse.GetValue(direction) is not null)
                {
                    throw new ArgumentException("--aggregate scores for the file's users as stored; it takes neither --context-pairs nor --direction");
                }

                var groups = UserRewardModelExtensions.GetService<IGroupRewardAggregation>(model)
                    ?? throw new ArgumentException($"--aggregate needs a model with group rewards (maxmin); this run is '{model.Metadata.Kind}'");
                var aggregated = await AggregatePairsAsync(groups, dataset, aggregation == "egalitarian" ? RewardAggregation.Egalitarian : RewardAggregation.Utilitarian, parse.GetValue(coldStart), cancellationToken).ConfigureAwait(false);
                await WriteAtomicallyAsync(path, aggregated, cancellationToken).ConfigureAwait(false);
                var aggregatedSummary = new PredictResult(aggregated.Count, 0, 0, path);
                if (quiet)
                {
                    await CliJson.WriteAsync(environment.Json, aggregatedSummary, CliJsonContext.Default.PredictResult).ConfigureAwait(false);
                    return 0;
                }

                environment.Console.MarkupLine($"Scored {aggregated.Count} pairs with the {aggregation} reward of the file's users; predictions written to {Markup.Escape(path)}");
                return 0;
            }

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

    /// <summary>
    /// Every pair's two responses scored with the population reward of all the file's users (their group posteriors
    /// weigh the groups), normalised on the model's training statistics so that pairs are comparable.
    /// </summary>
    private static async Task<List<PredictionRecord>> AggregatePairsAsync(
        IGroupRewardAggregation groups, PreferenceDataset dataset, RewardAggregation aggregation, bool allowColdStart, CancellationToken cancellationToken)
    {
        var options = new AggregationOptions { Users = dataset.Users, AllowColdStart = allowColdStart };
        var records = new List<PredictionRecord>(dataset.Count);
        for (var i = 0; i < dataset.Count; i++)
        {
            var prompt = dataset.PromptDimension > 0 ? dataset.PromptVector(i).ToArray() : null;
            var pair = ResponseBatch.FromVectors([dataset.ChosenVector(i).ToArray(), dataset.RejectedVector(i).ToArray()], prompt);
            var rewards = (await groups.AggregateAsync(pair, options, cancellationToken).ConfigureAwait(false)).Rewards(aggregation);
            records.Add(new PredictionRecord(dataset.LineAt(i), dataset.UserAt(i).Value, 1 / (1 + Math.Exp(-((double)rewards[0] - rewards[1]))), rewards[0], rewards[1]));
        }

        return records;
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
