using System.Text.Json;
using Pluralistic.Tests.Cli;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Runs;

/// <summary>
/// Runs saved by an older build (Fixtures/Runs, one per built-in kind; see its README) open with this build and
/// predict the same output: the same records, users and fields, every score within float32 rounding (1e-6). Not byte
/// for byte: libtorch picks its kernels by the CPU's vector extensions, so the last bits of a float32 matrix product
/// differ between machines (an AVX-512 and an AVX2 machine differ in the 9th digit) while a changed method or format
/// moves scores by far more.
/// </summary>
public class SavedRunFixtureTests
{
    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Runs");

    public static TheoryData<string> Kinds => new() { "bt", "pal", "vpl", "maxmin", "dpa", "fspo" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_run_saved_by_an_older_build_predicts_the_same_scores(string kind)
    {
        using var directory = new TempDirectory();
        var run = directory.File(kind);
        CopyDirectory(Path.Combine(Fixtures, kind), run);
        var output = directory.File("predicted.jsonl");

        var predicted = await CliRunner.RunAsync("predict", "--run", run, "--data", Path.Combine(Fixtures, "pairs.jsonl"), "--out", output);

        Assert.True(predicted.ExitCode == 0, predicted.Error);
        var expected = await File.ReadAllLinesAsync(Path.Combine(run, "expected.jsonl"));
        var actual = await File.ReadAllLinesAsync(output);
        Assert.Equal(30, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            using var want = JsonDocument.Parse(expected[i]);
            using var got = JsonDocument.Parse(actual[i]);
            var wantFields = want.RootElement.EnumerateObject().ToList();
            var gotFields = got.RootElement.EnumerateObject().ToList();
            Assert.Equal(wantFields.Select(f => f.Name), gotFields.Select(f => f.Name));
            foreach (var (w, g) in wantFields.Zip(gotFields))
            {
                if (w.Value.ValueKind == JsonValueKind.Number && w.Value.TryGetDouble(out var wantNumber) && !w.Value.TryGetInt64(out _))
                {
                    var gotNumber = g.Value.GetDouble();
                    Assert.True(Math.Abs(wantNumber - gotNumber) <= 1e-6 * Math.Max(1, Math.Abs(wantNumber)), $"{kind}, line {i}, {w.Name}: {wantNumber} -> {gotNumber}");
                }
                else
                {
                    Assert.Equal(w.Value.GetRawText(), g.Value.GetRawText());
                }
            }
        }
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
