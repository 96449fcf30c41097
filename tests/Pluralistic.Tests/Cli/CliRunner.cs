using System.Security.Cryptography;
using Pluralistic.Cli;
using Spectre.Console.Testing;

namespace Pluralistic.Tests.Cli;

/// <summary>Runs the pluralistic command line in process, capturing human output, JSON output and errors.</summary>
internal static class CliRunner
{
    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>Runs with a kind registry of the test's (for example one with a kind from this assembly).</summary>
    public static async Task<CliRun> RunAsync(Pluralistic.Torch.RewardModelKindRegistry? kinds, params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 200;
        using var json = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(console, json, error);
        if (kinds is not null)
        {
            environment = environment with { Kinds = kinds };
        }

        var exit = await CliApplication.RunAsync(args, environment);
        return new CliRun(exit, console.Output, json.ToString(), error.ToString());
    }

    /// <summary>SHA-256 of every file under a directory (relative path -> hash), to prove a failure changed nothing.</summary>
    public static IReadOnlyDictionary<string, string> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetRelativePath(directory, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}

internal sealed record CliRun(int ExitCode, string Output, string Json, string Error);
