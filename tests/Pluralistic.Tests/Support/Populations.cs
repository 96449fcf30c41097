using Pluralistic.Data;

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

    public static double Accuracy(PairPredictions predictions) =>
        Enumerable.Range(0, predictions.Count).Average(i => predictions.ProbabilityChosen(i) > 0.5 ? 1.0 : 0.0);
}
