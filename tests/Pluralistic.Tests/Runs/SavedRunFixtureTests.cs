using Pluralistic.Tests.Cli;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Runs;

/// <summary>
/// Runs saved by an older build (Fixtures/Runs, one per built-in kind; see its README) open with this build and
/// predict byte-identical output: the run format and every method's scores are stable across refactors.
/// </summary>
public class SavedRunFixtureTests
{
    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Runs");

    public static TheoryData<string> Kinds => new() { "bt", "pal", "vpl", "maxmin", "dpa", "fspo" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_run_saved_by_an_older_build_predicts_byte_identically(string kind)
    {
        using var directory = new TempDirectory();
        var run = directory.File(kind);
        CopyDirectory(Path.Combine(Fixtures, kind), run);
        var output = directory.File("predicted.jsonl");

        var predicted = await CliRunner.RunAsync("predict", "--run", run, "--data", Path.Combine(Fixtures, "pairs.jsonl"), "--out", output);

        Assert.True(predicted.ExitCode == 0, predicted.Error);
        var expected = await File.ReadAllTextAsync(Path.Combine(run, "expected.jsonl"));
        Assert.Equal(30, expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(expected, await File.ReadAllTextAsync(output));
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }
}
