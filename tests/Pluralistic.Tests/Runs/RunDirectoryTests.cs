using System.Text.Json.Nodes;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Runs;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Runs;

public class RunDirectoryTests
{
    [Fact]
    public async Task A_saved_run_reopens_with_the_same_fingerprint_states_and_scores()
    {
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        var test = population.ToDataset(population.TestSeen);
        using var trained = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 3, Device = "cpu", Epochs = 3 }).Fit(population.ToDataset(population.Train));
        var before = await trained.ScorePairsAsync(test);
        var manifest = await RunDirectory.SaveAsync(trained, dir.Path);

        using var reopened = RunDirectory.Open(dir.Path);
        Assert.Equal(trained.Fingerprint, reopened.Fingerprint);
        Assert.Equal(manifest.Weights.Sha256, reopened.Fingerprint);
        Assert.Equal(await trained.UserStates.CountAsync(), await reopened.UserStates.CountAsync());
        var after = await reopened.ScorePairsAsync(test);
        Assert.Equal(before.RewardChosen.ToArray(), after.RewardChosen.ToArray());
        Assert.Equal(before.RewardRejected.ToArray(), after.RewardRejected.ToArray());
        Assert.Equal(trained.Info.TrainingData, reopened.Info.TrainingData);
    }

    [Fact]
    public async Task Weights_that_do_not_fit_the_manifests_options_are_a_corrupt_run()
    {
        // What a run written by a version with a different network shape looks like: intact weights (hash verified),
        // options that build another network.
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        using (var model = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 1, HiddenSizes = [32] }).Fit(population.ToDataset(population.Train)))
        {
            await RunDirectory.SaveAsync(model, dir.Path);
        }

        var manifestPath = Path.Combine(dir.Path, "manifest.json");
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
        manifest["options"]!["hidden_sizes"] = new JsonArray(16);
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString());

        var error = Assert.Throws<CorruptRunException>(() => RunDirectory.Open(dir.Path));
        Assert.Contains("does not fit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saving_over_a_run_requires_consent()
    {
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        using var model = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 1 }).Fit(population.ToDataset(population.Train));
        await RunDirectory.SaveAsync(model, dir.Path);
        await Assert.ThrowsAsync<RunDirectoryException>(() => RunDirectory.SaveAsync(model, dir.Path));
        await RunDirectory.SaveAsync(model, dir.Path, overwrite: true);
        using var reopened = RunDirectory.Open(dir.Path);
        Assert.Equal(model.Fingerprint, reopened.Fingerprint);
    }

    [Fact]
    public async Task Adapting_a_writable_run_persists_states_across_reopening()
    {
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        using (var model = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 1 }).Fit(population.ToDataset(population.Train)))
        {
            await RunDirectory.SaveAsync(model, dir.Path);
        }

        var unseen = population.ToDataset(population.TestUnseen);
        using (var writable = RunDirectory.Open(dir.Path, new RunOpenOptions { ReadOnly = false }))
        {
            await writable.AdaptAsync(unseen);
        }

        using var reopened = RunDirectory.Open(dir.Path);
        var state = await reopened.UserStates.GetAsync(unseen.Users[0]);
        Assert.NotNull(state);
        Assert.Equal(reopened.Fingerprint, state.ModelFingerprint);
        Assert.Equal(unseen.RecordsByUser()[0].Length, state.PairCount);
    }
}
