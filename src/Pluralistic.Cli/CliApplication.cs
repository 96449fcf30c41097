using System.CommandLine;
using Pluralistic.Cli.Commands;

namespace Pluralistic.Cli;

/// <summary>Builds the <c>pluralistic</c> command tree and runs it, turning every expected failure into one line on stderr.</summary>
internal static class CliApplication
{
    /// <summary>Exit code of a failed command (bad input, corrupt run, unknown user, ...).</summary>
    public const int Failure = 1;

    public static RootCommand CreateRoot(CliEnvironment environment)
    {
        var root = new RootCommand("pluralistic: personalised, pluralistic reward models — one model for a population, a reward for every user.");
        root.Subcommands.Add(GenerateCommand.Create(environment));
        root.Subcommands.Add(TrainCommand.Create(environment));
        root.Subcommands.Add(AdaptCommand.Create(environment));
        root.Subcommands.Add(PredictCommand.Create(environment));
        root.Subcommands.Add(EvaluateCommand.Create(environment));
        root.Subcommands.Add(DemoCommand.Create(environment));
        root.Subcommands.Add(AblateCommand.Create(environment));
        root.Subcommands.Add(ImportCommand.Create(environment));
        root.Subcommands.Add(CompareCommand.Create(environment));
        root.Subcommands.Add(ForgetCommand.Create(environment));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = CreateRoot(environment);
        var parsed = root.Parse(args);
        try
        {
            return await parsed.InvokeAsync(
                new InvocationConfiguration { Output = environment.Json, Error = environment.Error, EnableDefaultExceptionHandler = false },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            await environment.Error.WriteLineAsync("error: " + OneLine(ex.Message)).ConfigureAwait(false);
            return Failure;
        }
    }

    private static bool IsExpected(Exception ex) =>
        ex is PluralisticException or ArgumentException or IOException or UnauthorizedAccessException or OperationCanceledException or InvalidOperationException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
