using System.Text.Json;

namespace Pluralistic.Tests.Cli;

/// <summary>Each method's <c>train</c> flags reach the options stored in the run, and the run then serves the contract's commands.</summary>
public class CliMethodFlagTests(CliWorkspace workspace) : IClassFixture<CliWorkspace>
{
    [Fact]
    public async Task Pal_variant_and_prototypes_are_stored_and_the_run_adapts_unseen_users()
    {
        var run = Path.Combine(workspace.Root, "run-pal-a");
        var train = await CliRunner.RunAsync(
            "train", "--model", "pal", "--variant", "a", "--prototypes", "3", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "3", "--json");
        Assert.True(train.ExitCode == 0, train.Error);

        var options = ReadOptions(run);
        Assert.Equal("a", options.GetProperty("variant").GetString(), ignoreCase: true);
        Assert.Equal(3, options.GetProperty("prototypes").GetInt32());

        var evaluate = await CliRunner.RunAsync("evaluate", "--run", run, "--data", workspace.TestUnseen, "--context-pairs", "5", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
    }

    [Fact]
    public async Task A_flag_of_another_method_is_refused_and_names_its_method()
    {
        var train = await CliRunner.RunAsync(
            "train", "--model", "bt", "--prototypes", "3", "--data", workspace.Train, "--out", Path.Combine(workspace.Root, "run-wrong-flag"), "--epochs", "1");
        Assert.NotEqual(0, train.ExitCode);
        Assert.Contains("--model pal", train.Error, StringComparison.Ordinal);
    }

    internal static JsonElement ReadOptions(string run)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")));
        return manifest.RootElement.GetProperty("options").Clone();
    }
}
