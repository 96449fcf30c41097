using System.CommandLine;
using Pluralistic.Cli.Output;
using Pluralistic.Runs;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary><c>pluralistic adapt</c>: learns or refines users' states from their pairs and persists them in the run.</summary>
internal static class AdaptCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var run = CommonOptions.Run();
        var data = CommonOptions.Data("Labelled pairs of the users to adapt (JSONL).");
        var replace = new Option<bool>("--replace") { Description = "Forget what the run holds for these users and learn from FILE alone." };
        var device = CommonOptions.Device();
        var skipInvalid = CommonOptions.SkipInvalid();
        var json = CommonOptions.Json();
        var command = new Command("adapt", "Learn or refine the state of every user in FILE from their pairs (few-shot, online); persisted in the run.")
        {
            run, data, replace, device, skipInvalid, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);

            // Validate the data before opening the run for writing, so bad input never touches the store.
            var dataset = await CliData.LoadForRunAsync(parse.GetValue(data)!, parse.GetValue(run)!, parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
            using var model = RunDirectory.Open(parse.GetValue(run)!.FullName, new RunOpenOptions { ReadOnly = false, Device = parse.GetValue(device)!, Kinds = environment.Kinds });
            var adaptation = await model.AdaptAsync(dataset, new AdaptationOptions { Replace = parse.GetValue(replace) }, cancellationToken).ConfigureAwait(false);

            var result = new AdaptResult(
                adaptation.Users.Count,
                adaptation.Users.Count(u => u.IsNewUser),
                dataset.Count,
                Math.Round(adaptation.Elapsed.TotalMilliseconds, 2));
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.AdaptResult).ConfigureAwait(false);
                return 0;
            }

            environment.Console.MarkupLine(
                $"Adapted {result.Users} users ({result.NewUsers} new) from {result.Pairs} pairs in {result.ElapsedMs:F1} ms; states saved in {Markup.Escape(parse.GetValue(run)!.FullName)}");
            return 0;
        });
        return command;
    }
}

/// <summary>The result of <c>adapt</c>.</summary>
internal sealed record AdaptResult(int Users, int NewUsers, int Pairs, double ElapsedMs);
