using Pluralistic.Models;
using Pluralistic.Models.Fspo;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Models.Fspo;

public class FspoBehaviourTests
{
    private static readonly FspoOptions Small = new() { Seed = 1, Device = "cpu", Threads = 1, Epochs = 2, PairFeatures = 16, SummarySize = 8 };

    [Fact]
    public async Task Training_scoring_and_adapting_leave_no_live_tensors_behind()
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);
        var unseen = population.ToDataset(population.TestUnseen);
        var options = Small with { SetEncoder = true, AdaptationSteps = 2 };

        await TensorLeaks.AssertNoneLeftAsync(
            () => new FspoTrainer(options with { Epochs = 1 }).Fit(train),
            () => new FspoTrainer(options).Fit(train),
            async model =>
            {
                await model.ScorePairsAsync(test);
                await model.ScoreAsync([.. test.Users.Take(5)], population.SampleResponses(64, seed: 1));
                await model.AdaptAsync(unseen, new AdaptationOptions { Persist = false });
            });
    }

    [Fact]
    public void Same_seed_gives_the_same_model_and_the_same_states()
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        using var a = new FspoTrainer(Small).Fit(train);
        using var b = new FspoTrainer(Small).Fit(train);
        var unseen = population.ToDataset(population.TestUnseen);
        var sa = a.Encode([unseen], CancellationToken.None);
        var sb = b.Encode([unseen], CancellationToken.None);
        Assert.Equal(sa[0], sb[0]);
        Assert.Equal(a.SummarySize, sa[0].Length);
    }

    [Theory]
    [InlineData(false, 5)]
    [InlineData(true, 0)]
    [InlineData(true, 2)]
    public async Task A_restarted_process_scores_seen_and_newly_adapted_users_identically(bool setEncoder, int steps)
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var unseen = population.ToDataset(population.TestUnseen);
        using var model = new FspoTrainer(Small with { SetEncoder = setEncoder, AdaptationSteps = steps }).Fit(train);
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, model.CreateManifest(), model.SerializeWeights());
        var users = train.Users.Take(10).ToList();
        var states = await model.UserStates.GetManyAsync(users);

        var (manifest, weights) = Checkpoint.Read(dir.Path);
        var store = new InMemoryUserStateStore();
        await store.UpsertManyAsync(states.Values.Select(s => s with { Vector = s.Vector.ToArray(), Evidence = s.Evidence.ToArray() }));
        using var loaded = RewardModelKinds.BuiltIn.Load(manifest, weights, store, TorchSharp.torch.CPU);
        Assert.IsType<FspoRewardModel>(loaded);

        var responses = population.SampleResponses(32, seed: 2);
        Assert.Equal((await model.ScoreAsync(users, responses)).Values.ToArray(), (await loaded.ScoreAsync(users, responses)).Values.ToArray());

        // Adapting (encoder pass and / or steps) is deterministic, so both processes give a new user the same state.
        var noWrite = new AdaptationOptions { Persist = false };
        var a = await model.AdaptAsync(unseen, noWrite);
        var b = await loaded.AdaptAsync(unseen, noWrite);
        Assert.Equal(a.Users.Select(u => u.State.Vector.ToArray()), b.Users.Select(u => u.State.Vector.ToArray()));
    }

    [Theory]
    [InlineData(nameof(FspoOptions.AttentionHeads))]
    [InlineData(nameof(FspoOptions.MaxContextPairs))]
    [InlineData(nameof(FspoOptions.MirroredUsers))]
    [InlineData(nameof(FspoOptions.AdaptationSteps))]
    [InlineData(nameof(FspoOptions.SetEncoder))]
    public void Bad_options_are_refused_naming_the_option(string name)
    {
        var options = name switch
        {
            nameof(FspoOptions.AttentionHeads) => new FspoOptions { PairFeatures = 30, AttentionHeads = 4 },
            nameof(FspoOptions.MaxContextPairs) => new FspoOptions { MinContextPairs = 5, MaxContextPairs = 2 },
            nameof(FspoOptions.MirroredUsers) => new FspoOptions { MirroredUsers = 1.5 },
            nameof(FspoOptions.AdaptationSteps) => new FspoOptions { AdaptationSteps = -1 },

            // Neither the set encoder nor adaptation steps: nothing would read the context.
            _ => new FspoOptions { SetEncoder = false, AdaptationSteps = 0 },
        };
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains(name, error.ParamName ?? error.Message, StringComparison.Ordinal);
    }
}
