using Pluralistic.Models;
using Pluralistic.Models.Vpl;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using TorchSharp;

namespace Pluralistic.Tests.Models.Vpl;

/// <summary>VPL's options, schedule, persistence of scaled rewards, reproducibility and tensor hygiene, on short trainings.</summary>
public class VplTrainingTests
{
    private static readonly VplOptions Short = VplFixture.Options with { Epochs = 3, EarlyStoppingPatience = 0 };

    private static PreferenceDataset Train => Populations.SmallGroups.ToDataset(Populations.SmallGroups.Train);

    private static PreferenceDataset Test => Populations.SmallGroups.ToDataset(Populations.SmallGroups.TestSeen);

    [Fact]
    public void Invalid_options_name_the_option()
    {
        Assert.Equal("HeadHiddenSizes", Assert.Throws<ArgumentOutOfRangeException>(() => new VplOptions { HeadHiddenSizes = [] }.Validate()).ParamName);
        Assert.Equal("AttentionHeads", Assert.Throws<ArgumentOutOfRangeException>(() => new VplOptions { EncoderWidth = 30 }.Validate()).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VplOptions { MinContextPairs = 5, MaxContextPairs = 4 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new VplOptions { Beta = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new VplOptions { PriorDropout = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new VplOptions { MirroredUsers = 0.6 }.Validate());
        new VplOptions().Validate();
    }

    [Fact]
    public void Vpl_is_a_registered_kind_with_its_defaults()
    {
        var kind = RewardModelKinds.BuiltIn.Get("vpl");
        Assert.True(kind.IsPersonalized);
        var defaults = Assert.IsType<VplOptions>(kind.CreateDefaultOptions());
        Assert.Equal((2, 20), (defaults.MinContextPairs, defaults.MaxContextPairs));
        Assert.IsType<VplTrainer>(new PluralisticContext(seed: 3).Models.Vpl());
        Assert.Equal(3, new PluralisticContext(seed: 3).Models.Vpl().Options.Seed);
    }

    [Fact]
    public void Kl_annealing_ramps_beta_up_in_each_cycle()
    {
        using var session = TrainingSession.Start(Train, Short);
        using var network = session.CreateModule(() => new VplNetwork(Train.ResponseDimension, 0, Short));
        var cyclical = Short with { Epochs = 10, Beta = 0.5, KlAnnealingCycles = 2, KlAnnealingRampFraction = 0.5 };
        using var objective = new VplObjective(network, session, cyclical);
        var cycle = 5 * objective.StepsPerEpoch;
        Assert.Equal(0, objective.BetaAt(0));
        Assert.Equal(0.25, objective.BetaAt(cycle / 4), 2);
        Assert.Equal(0.5, objective.BetaAt((cycle / 2) + 1));
        Assert.Equal(0.5, objective.BetaAt(cycle - 1));
        Assert.Equal(0, objective.BetaAt(cycle));

        using var constant = new VplObjective(network, session, cyclical with { KlAnnealingCycles = 0 });
        Assert.Equal(0.5, constant.BetaAt(0));
    }

    [Fact]
    public void Active_units_count_dimensions_whose_mean_varies_across_users()
    {
        // Dimension 0 varies (variance 0.25), dimension 1 barely (0.0025), dimension 2 not at all.
        var report = ActiveUnitsReport.FromMeans([[0.5f, 0.05f, 1f], [-0.5f, -0.05f, 1f]]);
        Assert.Equal(1, report.ActiveUnits);
        Assert.Equal(3, report.LatentSize);
        Assert.Equal(0.25, report.UnitVariances[0], 6);
        Assert.Equal(0.0025, report.UnitVariances[1], 6);
        Assert.Equal(0, report.UnitVariances[2], 6);
        Assert.Throws<ArgumentException>(() => ActiveUnitsReport.FromMeans([[1f]]));
    }

    [Fact]
    public async Task Concurrent_trainings_with_one_seed_give_bit_identical_weights()
    {
        var train = Train;
        var both = await Task.WhenAll(Task.Run(() => new VplTrainer(Short).Fit(train)), Task.Run(() => new VplTrainer(Short).Fit(train)));
        using var first = both[0];
        using var second = both[1];
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        using var other = new VplTrainer(Short with { Seed = 2 }).Fit(train);
        Assert.NotEqual(first.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public async Task Win_probability_rewards_lie_in_0_1_keep_every_ranking_and_reload()
    {
        var train = Train;
        using var raw = new VplTrainer(Short).Fit(train);
        using var scaled = new VplTrainer(Short with { RewardScaling = VplRewardScaling.WinProbability, ReferenceResponses = 64 }).Fit(train);
        var users = train.Users.Take(5).ToList();
        var responses = Populations.SmallGroups.SampleResponses(32, seed: 8);
        var rawMatrix = await raw.ScoreAsync(users, responses);
        var scaledMatrix = await scaled.ScoreAsync(users, responses);
        Assert.All(scaledMatrix.Values.ToArray(), r => Assert.InRange(r, 0f, 1f));
        for (var u = 0; u < users.Count; u++)
        {
            // Same seed, same training: the scaling is a monotone map of each user's raw rewards.
            var rawOrder = Enumerable.Range(0, 32).OrderBy(i => rawMatrix[i, u]).ToArray();
            var scaledOrder = Enumerable.Range(0, 32).OrderBy(i => scaledMatrix[i, u]).ToArray();
            Assert.Equal(rawOrder, scaledOrder);
        }

        // Pair scoring uses the same scaled rewards, and the reference set travels with the weights.
        var pairs = await scaled.ScorePairsAsync(Test);
        Assert.All(pairs.RewardChosen.ToArray(), r => Assert.InRange(r, 0f, 1f));
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, scaled.CreateManifest(), scaled.SerializeWeights());
        var (manifest, weights) = Checkpoint.Read(dir.Path);
        var store = new InMemoryUserStateStore();
        await foreach (var state in scaled.UserStates.ListAsync())
        {
            await store.UpsertAsync(state);
        }

        using var loaded = RewardModelKinds.BuiltIn.Load(manifest, weights, store, torch.CPU);
        Assert.Equal(pairs.RewardChosen.ToArray(), (await loaded.ScorePairsAsync(Test)).RewardChosen.ToArray());
    }

    [Fact]
    public async Task Training_inference_and_scoring_leave_no_live_tensors_behind()
    {
        var train = Train;
        var test = Test;
        var unseen = Populations.SmallGroups.ToDataset(Populations.SmallGroups.TestUnseen);
        await TensorLeaks.AssertNoneLeftAsync(
            () => new VplTrainer(Short with { Epochs = 1 }).Fit(train),
            () => new VplTrainer(Short with { Epochs = 2, RewardScaling = VplRewardScaling.WinProbability, ReferenceResponses = 16 }).Fit(train),
            async model =>
            {
                await model.ScorePairsAsync(test);
                await model.ScoreAsync([.. test.Users.Take(5)], Populations.SmallGroups.SampleResponses(64, seed: 1));
                await model.AdaptAsync(unseen);
                await model.RankQuestionsAsync(unseen.Users[0], test);
                await model.GetPosteriorsAsync([.. unseen.Users]);
                await model.MeasureActiveUnitsAsync([.. unseen.Users]);
            });
    }
}
