using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;
using Pluralistic.Models.MaxMin;

namespace Pluralistic.Tests.Models;

/// <summary>
/// On the prompt-dependent mixture a reward must model prompt x response interactions. MaxMin's heads (at a quarter
/// of the baseline's learning rate and 30 epochs) and DPA's latent basis (users starting from random directions) once
/// stayed near chance there, far below the Bradley-Terry baseline; each must now at least keep up with it.
/// </summary>
public class PromptDependentMixtureTests
{
    private static readonly Lazy<SyntheticPopulation> Mixture = new(() => SyntheticPopulation.Generate(new SyntheticPopulationOptions
    {
        Preset = "mixture",
        Seed = 3,
        SeenUsers = 100,
        UnseenUsers = 4,
        TrainPairsPerUser = 40,
        TestPairsPerSeenUser = 10,
        UnseenPairsPerUser = 20,
        ResponseDimension = 16,
    }));

    private static readonly Lazy<double> BaselineAccuracy = new(() =>
    {
        using var model = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 1, Threads = 1 }).Fit(Train);
        return SeenAccuracy(model);
    });

    private static PreferenceDataset Train => Mixture.Value.ToDataset(Mixture.Value.Train);

    [Fact]
    public void MaxMin_heads_learn_the_interactions_as_well_as_the_baseline()
    {
        using var model = new MaxMinTrainer(new MaxMinOptions { Seed = 1, Threads = 1 }).Fit(Train);
        var accuracy = SeenAccuracy(model);
        Assert.True(BaselineAccuracy.Value > 0.6, $"baseline {BaselineAccuracy.Value:P1}: the preset should be learnable");
        Assert.True(accuracy > BaselineAccuracy.Value - 0.03, $"MaxMin {accuracy:P1} against BT {BaselineAccuracy.Value:P1}");
    }

    [Fact]
    public void Dpa_latent_objectives_stay_close_to_the_baseline()
    {
        using var model = new DpaTrainer(new DpaOptions { Seed = 1, Threads = 1 }).Fit(Train);
        var accuracy = SeenAccuracy(model);
        Assert.True(accuracy > BaselineAccuracy.Value - 0.05, $"DPA {accuracy:P1} against BT {BaselineAccuracy.Value:P1}");
        Assert.True(accuracy > 0.58, $"DPA {accuracy:P1}");
    }

    private static double SeenAccuracy(IUserRewardModel model) =>
        RewardModelEvaluator.EvaluateAsync(model, Mixture.Value.ToDataset(Mixture.Value.TestSeen)).GetAwaiter().GetResult().Metrics.Accuracy;
}
