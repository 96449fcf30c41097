using Pluralistic.Models;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.MaxMin;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Models.MaxMin;

/// <summary>Cheap runs on the small groups population that exercise every training path (a few epochs each).</summary>
[Collection(MaxMinTraining.Name)]
public class MaxMinTrainingTests
{
    private static readonly MaxMinOptions Quick = new()
    {
        Seed = 1,
        Device = "cpu",
        Groups = 3,
        Epochs = 3,
        EarlyStoppingPatience = 0,
        MaxIterations = 2,
        SplitIterations = 1,
    };

    private static PreferenceDataset Train => Populations.SmallGroups.ToDataset(Populations.SmallGroups.Train);

    [Theory]
    [InlineData(MaxMinInitialization.Split, MaxMinEStep.HardMap, true, false, RewardHead.Mlp)]
    [InlineData(MaxMinInitialization.KMeans, MaxMinEStep.Soft, false, true, RewardHead.Mlp)]
    [InlineData(MaxMinInitialization.Random, MaxMinEStep.Hard, true, false, RewardHead.Linear)]
    public async Task Every_initialisation_E_step_and_head_trains_a_usable_model(
        MaxMinInitialization initialization, MaxMinEStep eStep, bool crossFit, bool sharedTrunk, RewardHead head)
    {
        var options = Quick with { Initialization = initialization, EStep = eStep, CrossFitEStep = crossFit, SharedTrunk = sharedTrunk, Head = head };
        if (head == RewardHead.Linear)
        {
            // Three epochs at the MLP's learning rate leave a linear head (randomly assigned users) near its initialisation.
            options = options with { LearningRate = 2e-2, Epochs = 8 };
        }

        using var model = new MaxMinTrainer(options).Fit(Train);
        Assert.Equal(3, model.GroupCount);
        Assert.Equal(1.0, model.GroupShares.Sum(), 5);
        var posteriors = await model.GetGroupPosteriorsAsync(Train.Users);
        Assert.All(posteriors, p => Assert.Equal(1.0, p.Posterior.Sum(), 4));
        var test = Populations.SmallGroups.ToDataset(Populations.SmallGroups.TestSeen);
        var predictions = await model.ScorePairsAsync(test);
        Assert.True(Populations.Accuracy(predictions) > 0.55, $"accuracy {Populations.Accuracy(predictions):F3}");
    }

    [Fact]
    public void The_same_seed_trains_bit_identical_weights()
    {
        using var first = new MaxMinTrainer(Quick).Fit(Train);
        using var again = new MaxMinTrainer(Quick).Fit(Train);
        Assert.Equal(first.Fingerprint, again.Fingerprint);
        using var other = new MaxMinTrainer(Quick with { Seed = 2 }).Fit(Train);
        Assert.NotEqual(first.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public async Task Training_and_every_scoring_path_leave_no_live_tensors_behind()
    {
        var train = Train;
        var population = Populations.SmallGroups;
        var options = Quick with { Groups = 2, Epochs = 1 };
        var test = population.ToDataset(population.TestSeen);
        var candidates = population.SampleResponses(16, seed: 1);
        await TensorLeaks.AssertNoneLeftAsync(
            () => new MaxMinTrainer(options).Fit(train),
            () => new MaxMinTrainer(options).Fit(train),
            async model =>
            {
                await model.ScorePairsAsync(test);
                await model.ScoreAsync([.. test.Users.Take(5)], candidates);
                await model.ScoreGroupsAsync(candidates, reference: population.SampleResponses(8, seed: 2));
                await model.AggregateAsync(candidates, new AggregationOptions { Users = [.. test.Users.Take(3)] });
                await model.InferGroupPosteriorsAsync(population.ToDataset(population.TestUnseen));
                using var view = model.WithUserStateStore(new OverlayUserStateStore(model.UserStates));
                await view.AdaptAsync(population.ToDataset(population.TestUnseen));
            });
    }

    [Fact]
    public void Too_many_groups_for_the_users_is_a_clear_error()
    {
        var few = Train.Where(i => Train.UserIndices.Span[i] < 2);
        var ex = Assert.Throws<ArgumentException>(() => new MaxMinTrainer(Quick).Fit(few));
        Assert.Contains("3 groups from 2 users", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_kind_is_registered_and_reachable_from_the_catalog()
    {
        var kind = RewardModelKinds.BuiltIn.Get("maxmin");
        Assert.True(kind.IsPersonalized);
        Assert.IsType<MaxMinOptions>(kind.CreateDefaultOptions());
        var trainer = new PluralisticContext(seed: 7, device: "cpu").Models.MaxMin(new MaxMinOptions { Groups = MaxMinOptions.AutoGroups });
        Assert.Equal(7, trainer.Options.Seed);
        Assert.True(trainer.Options.IsAutoGroups);
        Assert.Equal(MaxMinRewardModel.KindName, trainer.Kind);
    }

    [Fact]
    public void Groups_arguments_parse_and_options_validate()
    {
        Assert.Equal(3, MaxMinOptions.ParseGroups("3"));
        Assert.Equal(MaxMinOptions.AutoGroups, MaxMinOptions.ParseGroups("auto"));
        Assert.Equal(MaxMinOptions.AutoGroups, MaxMinOptions.ParseGroups(" AUTO "));
        Assert.Throws<ArgumentException>(() => MaxMinOptions.ParseGroups("0"));
        Assert.Throws<ArgumentException>(() => MaxMinOptions.ParseGroups("two"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxMinOptions { MinGroups = 4, MaxGroups = 3 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxMinOptions { SharedTrunk = true, HiddenSizes = [] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxMinOptions { Groups = -1 }.Validate());
    }

    [Fact]
    public void KMeans_separates_well_separated_points_deterministically()
    {
        var random = new Random(1);
        var points = Enumerable.Range(0, 30)
            .Select(i => new[] { (float)((i % 3 * 10) + random.NextDouble()), (float)random.NextDouble() })
            .ToArray();
        var labels = GroupInitialization.KMeans(points, 3, seed: 5);
        Assert.Equal(1.0, Pluralistic.Evaluation.GroupRecovery.AdjustedRandIndex(labels, Enumerable.Range(0, 30).Select(i => i % 3).ToArray()), 9);
        Assert.Equal(labels, GroupInitialization.KMeans(points, 3, seed: 5));
    }
}
