using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;

namespace Pluralistic.Tests.Support;

/// <summary>Small synthetic populations shared by tests (generated once per process; generation is deterministic).</summary>
public static class Populations
{
    private static readonly Lazy<SyntheticPopulation> SmallGroupsPopulation = new(() => SyntheticPopulation.Generate(new SyntheticPopulationOptions
    {
        Preset = "groups",
        Seed = 5,
        SeenUsers = 60,
        UnseenUsers = 12,
        TrainPairsPerUser = 30,
        TestPairsPerSeenUser = 10,
        UnseenPairsPerUser = 20,
        ResponseDimension = 16,
    }));

    /// <summary>The groups preset at a size that trains in about a second.</summary>
    public static SyntheticPopulation SmallGroups => SmallGroupsPopulation.Value;

    /// <summary>The groups preset (three groups of unequal size) at the scale of the episodic models' accuracy tests.</summary>
    public static SyntheticPopulationOptions EpisodicGroups { get; } = new()
    {
        Preset = "groups",
        Seed = 5,
        SeenUsers = 80,
        UnseenUsers = 24,
        TrainPairsPerUser = 30,
        TestPairsPerSeenUser = 10,
        UnseenPairsPerUser = 30,
        ResponseDimension = 16,
    };

    /// <summary>The opposing-minority preset (about 10:1, opposite tastes on contested pairs) at the same scale.</summary>
    public static SyntheticPopulationOptions EpisodicMinority { get; } = new()
    {
        Preset = "minority",
        Seed = 1,
        SeenUsers = 120,
        UnseenUsers = 30,
        TrainPairsPerUser = 30,
        TestPairsPerSeenUser = 20,
        UnseenPairsPerUser = 40,
        ResponseDimension = 16,
    };

    /// <summary>The Bradley-Terry baseline that accuracy tests compare against: defaults, seed 1 unless given, CPU, one thread.</summary>
    public static BradleyTerryRewardModel TrainBaseline(PreferenceDataset train, int seed = 1) =>
        new BradleyTerryTrainer(new BradleyTerryOptions { Seed = seed, Device = "cpu", Threads = 1 }).Fit(train);

    public static double Accuracy(PairPredictions predictions) =>
        Enumerable.Range(0, predictions.Count).Average(i => predictions.ProbabilityChosen(i) > 0.5 ? 1.0 : 0.0);
}
