using Pluralistic.Models;
using Pluralistic.Torch;
using Spectre.Console;

namespace Pluralistic.Cli;

/// <summary>Where the tool writes (a Spectre console for people, a writer for <c>--json</c> output, and stderr) and the model kinds it knows.</summary>
/// <param name="Console">Human-readable output (tables, progress).</param>
/// <param name="Json">Machine-readable output (one JSON object with <c>--json</c>).</param>
/// <param name="Error">One-line errors.</param>
internal sealed record CliEnvironment(IAnsiConsole Console, TextWriter Json, TextWriter Error)
{
    /// <summary>The model kinds <c>--model</c> accepts and runs are opened with (the SDK's built-in ones by default).</summary>
    public RewardModelKindRegistry Kinds { get; init; } = RewardModelKinds.BuiltIn;

    public static CliEnvironment CreateDefault() => new(AnsiConsole.Console, System.Console.Out, System.Console.Error);
}
