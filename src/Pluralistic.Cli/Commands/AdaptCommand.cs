using System.CommandLine;
using Pluralistic.Cli.Output;
using Pluralistic.Runs;
using Pluralistic.Storage.PostgreSql;
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
        var store = CommonOptions.Store();
        var command = new Command("adapt", "Learn or refine the state of every user in FILE from their pairs (few-shot, online); persisted in the run.")
        {
            run, data, replace, device, skipInvalid, store, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);

            // Validate the data (embedding text with the run's embedder) with the run open read-only, and only then open it
            // for writing, so bad input never touches the store.
            var directory = parse.GetValue(run)!.FullName;
            var options = CliStore.Apply(new RunOpenOptions { Device = parse.GetValue(device)!, Kinds = environment.Kinds }, parse.GetValue(store));
            PreferenceDataset dataset;
            using (var reading = await Run.OpenAsync(directory, options, cancellationToken).ConfigureAwait(false))
            {
                dataset = await CliData.LoadForRunAsync(parse.GetValue(data)!, reading, parse.GetValue(skipInvalid), environment.Console, quiet, cancellationToken).ConfigureAwait(false);
            }

            AdaptationResult adaptation;
            string savedIn;
            using (var writable = await Run.OpenAsync(directory, options with { ReadOnly = false }, cancellationToken).ConfigureAwait(false))
            {
                adaptation = await writable.Model.AdaptAsync(dataset, new AdaptationOptions { Replace = parse.GetValue(replace) }, cancellationToken).ConfigureAwait(false);
                savedIn = (writable.Model.GetService<IUserStateStoreAccessor>()?.UserStates as PostgreSqlUserStateStore)?.Name ?? directory;
            }

            // Closing the run checkpointed LiteDB's log into users.db: only now are the states on disk, and only now
            // are they reported saved (a process killed before this line may lose them, never earlier ones).
            var result = new AdaptResult(
                adaptation.Users.Count,
                adaptation.Users.Count(u => u.IsNewUser),
                dataset.Count,
                Math.Round(adaptation.Elapsed.TotalMilliseconds, 2),
                adaptation.Users.Count);
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.AdaptResult).ConfigureAwait(false);
                return 0;
            }

            environment.Console.MarkupLine(
                $"Adapted {result.Users} users ({result.NewUsers} new) from {result.Pairs} pairs in {result.ElapsedMs:F1} ms; {result.SavedStates} states saved in {Markup.Escape(savedIn)}");
            return 0;
        });
        return command;
    }
}

/// <summary>The result of <c>adapt</c>; <c>SavedStates</c> counts the states in the run's store file when the command reported (the store closed).</summary>
internal sealed record AdaptResult(int Users, int NewUsers, int Pairs, double ElapsedMs, int SavedStates);
