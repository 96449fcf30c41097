using System.Text.Json;

namespace Pluralistic.Tests.Cli;

public class CliCommandTests(CliWorkspace workspace) : IClassFixture<CliWorkspace>
{
    [Fact]
    public async Task Predict_writes_one_record_per_line_agreeing_with_the_rewards()
    {
        var output = Path.Combine(workspace.Root, "seen-predictions.jsonl");
        var run = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", workspace.TestSeen, "--out", output);
        Assert.True(run.ExitCode == 0, run.Error);

        var lines = File.ReadAllLines(output);
        Assert.Equal(File.ReadAllLines(workspace.TestSeen).Length, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var p = first.RootElement.GetProperty("p_chosen").GetDouble();
        var margin = first.RootElement.GetProperty("reward_chosen").GetDouble() - first.RootElement.GetProperty("reward_rejected").GetDouble();
        Assert.Equal(PairPredictions.Sigmoid(margin), p, 6);
        Assert.Equal(0, first.RootElement.GetProperty("line").GetInt64());
        Assert.StartsWith("user-", first.RootElement.GetProperty("user_id").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_with_context_pairs_skips_exactly_each_users_first_records()
    {
        var output = Path.Combine(workspace.Root, "unseen-predictions.jsonl");
        var run = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", workspace.TestUnseen, "--out", output, "--context-pairs", "5", "--json");
        Assert.True(run.ExitCode == 0, run.Error);

        var users = File.ReadLines(workspace.TestUnseen).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("user_id").GetString()!).ToList();
        var expected = users.Select((u, i) => (u, i)).Where(x => users.Take(x.i).Count(v => v == x.u) >= 5).Select(x => (long)x.i).ToList();
        var predicted = File.ReadLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("line").GetInt64()).ToList();
        Assert.Equal(expected, predicted);
        using var summary = JsonDocument.Parse(run.Json);
        Assert.Equal(expected.Count, summary.RootElement.GetProperty("predicted").GetInt32());
    }

    [Fact]
    public async Task Evaluate_json_prints_one_object_with_metrics_and_the_oracle()
    {
        var run = await CliRunner.RunAsync("evaluate", "--run", workspace.Run, "--data", workspace.TestSeen, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Json);
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.InRange(metrics.GetProperty("accuracy").GetDouble(), 0.5, 1);
        Assert.InRange(metrics.GetProperty("oracle_accuracy").GetDouble(), 0.7, 1);
        Assert.True(metrics.GetProperty("per_group").EnumerateObject().Any());
        Assert.Empty(run.Output); // --json prints nothing else
    }

    [Fact]
    public async Task Adapt_persists_new_users_who_can_then_be_predicted_without_context()
    {
        var run = workspace.CopyRun("run-adapt");
        var adapt = await CliRunner.RunAsync("adapt", "--run", run, "--data", workspace.TestUnseen, "--json");
        Assert.True(adapt.ExitCode == 0, adapt.Error);
        using var json = JsonDocument.Parse(adapt.Json);
        Assert.Equal(8, json.RootElement.GetProperty("new_users").GetInt32());

        var predict = await CliRunner.RunAsync("predict", "--run", run, "--data", workspace.TestUnseen, "--out", Path.Combine(workspace.Root, "after-adapt.jsonl"));
        Assert.True(predict.ExitCode == 0, predict.Error);
    }

    [Fact]
    public async Task Human_output_shows_the_evaluation_table()
    {
        var run = await CliRunner.RunAsync("evaluate", "--run", workspace.Run, "--data", workspace.TestUnseen, "--context-pairs", "10");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("accuracy", run.Output, StringComparison.Ordinal);
        Assert.Contains("oracle", run.Output, StringComparison.Ordinal);
    }
}
