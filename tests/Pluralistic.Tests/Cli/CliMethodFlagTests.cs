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
    public async Task Fspo_context_max_mirror_set_encoder_and_adaptation_steps_are_stored_and_the_run_measures_context_sensitivity()
    {
        var run = Path.Combine(workspace.Root, "run-fspo");
        var train = await CliRunner.RunAsync(
            "train", "--model", "fspo", "--context-max", "6", "--mirror", "0.5", "--set-encoder", "--adaptation-steps", "2", "--adaptation-gradient", "first-order", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "3", "--json");
        Assert.True(train.ExitCode == 0, train.Error);

        var options = ReadOptions(run);
        Assert.Equal(6, options.GetProperty("max_context_pairs").GetInt32());
        Assert.Equal(0.5, options.GetProperty("mirrored_users").GetDouble());
        Assert.Equal(2, options.GetProperty("adaptation_steps").GetInt32());
        Assert.Equal("FirstOrder", options.GetProperty("adaptation_gradient").GetString());
        Assert.True(options.GetProperty("set_encoder").GetBoolean());

        var evaluate = await CliRunner.RunAsync(
            "evaluate", "--run", run, "--data", workspace.TestUnseen, "--context-pairs", "5", "--context-sensitivity", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        Assert.Contains("sensitivity", evaluate.Output + evaluate.Json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Vpl_latent_and_adaptation_steps_are_stored_and_the_run_adapts_unseen_users()
    {
        var run = Path.Combine(workspace.Root, "run-vpl-steps");
        var train = await CliRunner.RunAsync(
            "train", "--model", "vpl", "--latent", "4", "--adaptation-steps", "2", "--adaptation-gradient", "truncated", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "3", "--json");
        Assert.True(train.ExitCode == 0, train.Error);

        var options = ReadOptions(run);
        Assert.Equal(4, options.GetProperty("latent_size").GetInt32());
        Assert.Equal(2, options.GetProperty("adaptation_steps").GetInt32());
        Assert.Equal("TruncatedSecondOrder", options.GetProperty("adaptation_gradient").GetString());

        var evaluate = await CliRunner.RunAsync("evaluate", "--run", run, "--data", workspace.TestUnseen, "--context-pairs", "5", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
    }

    [Fact]
    public async Task Train_anchors_by_default_records_the_fit_and_evaluates_and_anchor_false_leaves_the_method_alone()
    {
        var anchoredRun = Path.Combine(workspace.Root, "run-pal-anchored");
        var train = await CliRunner.RunAsync(
            "train", "--model", "pal", "--data", workspace.Train, "--out", anchoredRun, "--seed", "1", "--epochs", "3", "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(anchoredRun, "manifest.json"))))
        {
            var anchor = manifest.RootElement.GetProperty("population_anchor");
            Assert.True(anchor.GetProperty("kappa").ValueKind is JsonValueKind.Number or JsonValueKind.String, anchor.ToString());

            // PAL validates on no pairs; anchored, it leaves a share out of its training, so the fit judged its seen states.
            Assert.True(manifest.RootElement.GetProperty("metrics").GetProperty("anchor_fit_seen_pairs").GetDouble() > 0);
        }

        var evaluate = await CliRunner.RunAsync("evaluate", "--run", anchoredRun, "--data", workspace.TestUnseen, "--context-pairs", "5", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);

        var aloneRun = Path.Combine(workspace.Root, "run-pal-alone");
        var alone = await CliRunner.RunAsync(
            "train", "--model", "pal", "--anchor", "false", "--data", workspace.Train, "--out", aloneRun, "--seed", "1", "--epochs", "3", "--json");
        Assert.True(alone.ExitCode == 0, alone.Error);
        using var aloneManifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(aloneRun, "manifest.json")));
        Assert.False(aloneManifest.RootElement.TryGetProperty("population_anchor", out var none) && none.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task A_shared_flag_given_to_a_method_without_it_names_every_method_it_applies_to()
    {
        var train = await CliRunner.RunAsync(
            "train", "--model", "bt", "--context-max", "5", "--data", workspace.Train, "--out", Path.Combine(workspace.Root, "run-wrong-shared"), "--epochs", "1");
        Assert.NotEqual(0, train.ExitCode);
        Assert.Contains("--model vpl or --model fspo", train.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dpa_objectives_is_stored_and_the_latent_run_evaluates_and_adapts_unseen_users()
    {
        var run = Path.Combine(workspace.Root, "run-dpa-k3");
        var train = await CliRunner.RunAsync(
            "train", "--model", "dpa", "--objectives", "3", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "3", "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Equal(3, ReadOptions(run).GetProperty("objectives").GetInt32());

        var evaluate = await CliRunner.RunAsync("evaluate", "--run", run, "--data", workspace.TestUnseen, "--context-pairs", "5", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        var adapt = await CliRunner.RunAsync("adapt", "--run", run, "--data", workspace.TestUnseen);
        Assert.True(adapt.ExitCode == 0, adapt.Error);
        var scored = await CliRunner.RunAsync(
            "predict", "--run", run, "--data", workspace.TestUnseen, "--out", Path.Combine(workspace.Root, "dpa-latent.jsonl"), "--direction", "latent_1=1,latent_3=-0.5");
        Assert.True(scored.ExitCode == 0, scored.Error);
    }

    [Fact]
    public async Task MaxMin_flags_are_stored_and_the_run_adapts_evaluates_and_aggregates()
    {
        var run = Path.Combine(workspace.Root, "run-maxmin");
        var train = await CliRunner.RunAsync(
            "train", "--model", "maxmin", "--groups", "2", "--e-step", "soft", "--init", "kmeans", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "2", "--json");
        Assert.True(train.ExitCode == 0, train.Error);

        var options = ReadOptions(run);
        Assert.Equal(2, options.GetProperty("groups").GetInt32());
        Assert.Equal("soft", options.GetProperty("e_step").GetString(), ignoreCase: true);
        Assert.Equal("kmeans", options.GetProperty("initialization").GetString(), ignoreCase: true);

        var evaluate = await CliRunner.RunAsync("evaluate", "--run", run, "--data", workspace.TestUnseen, "--context-pairs", "5", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        var adapt = await CliRunner.RunAsync("adapt", "--run", run, "--data", workspace.TestUnseen);
        Assert.True(adapt.ExitCode == 0, adapt.Error);

        // Population scoring: every line gets the same reward for the same response whatever its user.
        var utilitarian = Path.Combine(workspace.Root, "maxmin-utilitarian.jsonl");
        var egalitarian = Path.Combine(workspace.Root, "maxmin-egalitarian.jsonl");
        foreach (var (mode, file) in new[] { ("utilitarian", utilitarian), ("egalitarian", egalitarian) })
        {
            var predict = await CliRunner.RunAsync("predict", "--run", run, "--data", workspace.TestSeen, "--out", file, "--aggregate", mode, "--json");
            Assert.True(predict.ExitCode == 0, predict.Error);
        }

        var u = File.ReadAllLines(utilitarian).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reward_chosen").GetDouble()).ToArray();
        var e = File.ReadAllLines(egalitarian).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reward_chosen").GetDouble()).ToArray();
        Assert.Equal(File.ReadLines(workspace.TestSeen).Count(), u.Length);
        Assert.All(u.Zip(e), p => Assert.True(p.Second <= p.First + 1e-6, "the minimum over groups never exceeds their weighted mean"));

        var onBaseline = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", workspace.TestSeen, "--out", Path.Combine(workspace.Root, "bt-agg.jsonl"), "--aggregate", "egalitarian");
        Assert.NotEqual(0, onBaseline.ExitCode);
        Assert.Contains("group rewards", onBaseline.Error, StringComparison.Ordinal);
        var badGroups = await CliRunner.RunAsync("train", "--model", "maxmin", "--groups", "none", "--data", workspace.Train, "--out", Path.Combine(workspace.Root, "run-bad-groups"), "--epochs", "1");
        Assert.NotEqual(0, badGroups.ExitCode);
        Assert.Contains("--groups", badGroups.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flag_of_another_method_is_refused_and_names_its_method()
    {
        var train = await CliRunner.RunAsync(
            "train", "--model", "bt", "--prototypes", "3", "--data", workspace.Train, "--out", Path.Combine(workspace.Root, "run-wrong-flag"), "--epochs", "1");
        Assert.NotEqual(0, train.ExitCode);
        Assert.Contains("--model pal", train.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patience_is_stored_and_training_stops_within_it_of_the_best_epoch()
    {
        var run = Path.Combine(workspace.Root, "run-patience");
        var train = await CliRunner.RunAsync(
            "train", "--model", "bt", "--patience", "1", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "40", "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Equal(1, ReadOptions(run).GetProperty("early_stopping_patience").GetInt32());

        // With patience 1 the run ends one epoch after its best (or at its last epoch while still improving).
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "manifest.json")));
        var metrics = manifest.RootElement.GetProperty("metrics");
        var epochsRun = metrics.GetProperty("epochs_run").GetInt32();
        Assert.InRange(epochsRun - metrics.GetProperty("best_epoch").GetInt32(), 0, 1);
        Assert.InRange(epochsRun, 1, 40);
    }

    [Fact]
    public async Task A_negative_patience_is_refused_by_name_before_any_run_is_written()
    {
        var run = Path.Combine(workspace.Root, "run-negative-patience");
        var train = await CliRunner.RunAsync("train", "--model", "bt", "--patience", "-1", "--data", workspace.Train, "--out", run, "--epochs", "1");
        Assert.NotEqual(0, train.ExitCode);
        Assert.Contains("--patience", train.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run, "manifest.json")));

        var compare = await CliRunner.RunAsync("compare", "--data", workspace.Train, "--models", "bt", "--patience", "-2", "--out", Path.Combine(workspace.Root, "compare-negative-patience"));
        Assert.NotEqual(0, compare.ExitCode);
        Assert.Contains("--patience", compare.Error, StringComparison.Ordinal);
    }

    internal static JsonElement ReadOptions(string run)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")));
        return manifest.RootElement.GetProperty("options").Clone();
    }
}
