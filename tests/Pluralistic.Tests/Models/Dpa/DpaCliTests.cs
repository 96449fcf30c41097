using System.Text.Json;
using Pluralistic.Runs;
using Pluralistic.Tests.Cli;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Models.Dpa;

/// <summary>Generated directions data and a DPA run trained through the command line.</summary>
public sealed class DpaCliWorkspace : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();

    public string Root => _directory.Path;

    public string Data => Path.Combine(Root, "data");

    public string TestSeen => Path.Combine(Data, "test_seen.jsonl");

    public string TestUnseen => Path.Combine(Data, "test_unseen.jsonl");

    public string Run => Path.Combine(Root, "run-dpa");

    public async Task InitializeAsync()
    {
        var generate = await CliRunner.RunAsync("generate", "--preset", "directions", "--out", Data, "--seed", "3", "--seen-users", "30", "--unseen-users", "6", "--dimension", "12");
        Assert.True(generate.ExitCode == 0, generate.Error);
        var train = await CliRunner.RunAsync("train", "--model", "dpa", "--data", Path.Combine(Data, "train.jsonl"), "--out", Run, "--seed", "1", "--epochs", "5", "--device", "cpu");
        Assert.True(train.ExitCode == 0, train.Error);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _directory.Dispose();
}

public class DpaCliTests(DpaCliWorkspace workspace) : IClassFixture<DpaCliWorkspace>
{
    [Fact]
    public async Task Predict_with_a_direction_scores_every_record_with_that_direction()
    {
        var output = Path.Combine(workspace.Root, "directed.jsonl");
        var run = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", workspace.TestSeen, "--out", output, "--direction", "helpfulness=1,verbosity=-0.5");
        Assert.True(run.ExitCode == 0, run.Error);

        using var model = RunDirectory.Open(workspace.Run);
        var objectives = model.GetRequiredService<IMultiObjectiveRewardModel>();
        var data = await Pluralistic.Data.PreferenceJsonl.LoadDatasetAsync(workspace.TestSeen);
        var expected = await objectives.ScoreDirectionAsync(
            ResponseBatch.FromVectors([data.ChosenVector(0).ToArray(), data.ChosenVector(1).ToArray()]), objectives.Direction(("helpfulness", 1), ("verbosity", -0.5)));
        var lines = File.ReadAllLines(output);
        for (var i = 0; i < 2; i++)
        {
            using var record = JsonDocument.Parse(lines[i]);
            Assert.Equal(expected[i], record.RootElement.GetProperty("reward_chosen").GetDouble(), tolerance: 1e-5);
        }
    }

    [Fact]
    public async Task Records_that_carry_their_own_direction_score_without_a_user_state_and_others_still_need_one()
    {
        // A named direction with no history (a control arm, a product persona): the data contract's 'direction' key.
        var lines = File.ReadAllLines(workspace.TestSeen).Take(4).ToList();
        var withDirection = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var record = System.Text.Json.Nodes.JsonNode.Parse(lines[i])!.AsObject();
            record["user_id"] = "control-helpful";
            record["direction"] = new System.Text.Json.Nodes.JsonObject { ["helpfulness"] = 1, ["verbosity"] = -0.5 };
            withDirection.Add(record.ToJsonString());
        }

        var data = Path.Combine(workspace.Root, "directed-records.jsonl");
        await File.WriteAllLinesAsync(data, [.. withDirection, lines[3]]);
        var output = Path.Combine(workspace.Root, "directed-records-out.jsonl");
        var run = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", data, "--out", output);
        Assert.True(run.ExitCode == 0, run.Error);

        using var model = RunDirectory.Open(workspace.Run);
        var objectives = model.GetRequiredService<IMultiObjectiveRewardModel>();
        var loaded = await Pluralistic.Data.PreferenceJsonl.LoadDatasetAsync(data);
        var expected = await objectives.ScoreDirectionAsync(
            ResponseBatch.FromVectors([.. Enumerable.Range(0, 3).Select(i => loaded.ChosenVector(i).ToArray())]), objectives.Direction(("helpfulness", 1), ("verbosity", -0.5)));
        var predicted = File.ReadAllLines(output);
        Assert.Equal(4, predicted.Length);
        for (var i = 0; i < 3; i++)
        {
            using var record = JsonDocument.Parse(predicted[i]);
            Assert.Equal(expected[i], record.RootElement.GetProperty("reward_chosen").GetDouble(), tolerance: 1e-5);
        }

        // The same user without a direction on a record is still an unknown user: only directed records skip the state.
        var undirected = Path.Combine(workspace.Root, "undirected.jsonl");
        var plain = System.Text.Json.Nodes.JsonNode.Parse(lines[1])!.AsObject();
        plain["user_id"] = "control-helpful";
        await File.WriteAllLinesAsync(undirected, [withDirection[0], plain.ToJsonString()]);
        var refused = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", undirected, "--out", Path.Combine(workspace.Root, "never.jsonl"));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("control-helpful", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_objective_in_the_direction_fails_with_one_line_naming_the_known_ones()
    {
        var output = Path.Combine(workspace.Root, "never.jsonl");
        var run = await CliRunner.RunAsync("predict", "--run", workspace.Run, "--data", workspace.TestSeen, "--out", output, "--direction", "humour=1");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("unknown objective 'humour'", run.Error, StringComparison.Ordinal);
        Assert.Contains("helpfulness, verbosity, safety", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_with_context_and_adapt_work_on_a_dpa_run()
    {
        var evaluate = await CliRunner.RunAsync("evaluate", "--run", workspace.Run, "--data", workspace.TestUnseen, "--context-pairs", "10", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        using (var result = JsonDocument.Parse(evaluate.Json))
        {
            Assert.InRange(result.RootElement.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 0.5, 1);
        }

        var copy = Path.Combine(workspace.Root, "run-adapted");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(workspace.Run))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        var adapt = await CliRunner.RunAsync("adapt", "--run", copy, "--data", workspace.TestUnseen);
        Assert.True(adapt.ExitCode == 0, adapt.Error);
        using var reopened = RunDirectory.Open(copy);
        var user = new UserId("new-user-0001");
        var directions = await reopened.GetRequiredService<IMultiObjectiveRewardModel>().GetUserDirectionsAsync([user]);
        Assert.Equal(1, directions[user].Weights.Sum(w => w * w), 5);
    }
}
