using System.CommandLine;
using Pluralistic.Cli.Output;
using Pluralistic.Runs;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary>
/// <c>pluralistic forget</c>: removes one user's state (and the pairs it retains as evidence) from a run's store; the
/// store checkpoints at once, so the user's id and vectors are gone from <c>users.db</c> and its log when it returns.
/// </summary>
internal static class ForgetCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var run = CommonOptions.Run();
        var user = new Option<string>("--user") { Description = "The id of the user to forget.", Required = true };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command(
            "forget",
            "Remove a user's state and the pairs it retains from the run's store (files the user's data also went into, such as training or prediction files, are not touched).")
        {
            run, user, store, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetValue(user)!;
            if (UserId.Validate(id) is { } problem)
            {
                throw new ArgumentException($"--user: {problem}");
            }

            var directory = parse.GetValue(run)!.FullName;
            var options = new RunOpenOptions { ReadOnly = false, Device = "cpu", Kinds = environment.Kinds };
            bool forgotten;
            using (var opened = await Run.OpenAsync(directory, options, cancellationToken).ConfigureAwait(false))
            {
                forgotten = await opened.Model.ForgetUserAsync(new UserId(id), cancellationToken).ConfigureAwait(false);
            }

            // With a database, the user goes from there too: `train --store` keeps a copy in users.db and the database.
            if (parse.GetValue(store) is { Length: > 0 } connectionString)
            {
                using var shared = await Run.OpenAsync(directory, CliStore.Apply(options, connectionString), cancellationToken).ConfigureAwait(false);
                forgotten |= await shared.Model.ForgetUserAsync(new UserId(id), cancellationToken).ConfigureAwait(false);
            }

            if (!forgotten)
            {
                throw new UnknownUserException(new UserId(id));
            }

            var result = new ForgetResult(id, directory);
            if (parse.GetValue(json))
            {
                await CliJson.WriteAsync(environment.Json, result, CliJsonContext.Default.ForgetResult).ConfigureAwait(false);
                return 0;
            }

            environment.Console.MarkupLine($"Forgot user {Markup.Escape(id)}: their state and retained pairs are gone from {Markup.Escape(Path.Combine(directory, RunDirectory.UserStoreFile))}");
            return 0;
        });
        return command;
    }
}

/// <summary>The result of <c>forget</c>.</summary>
internal sealed record ForgetResult(string User, string Run);
