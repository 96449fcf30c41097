using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.MaxMin;

namespace Pluralistic.Tests.Models.MaxMin;

/// <summary>
/// A small opposing-minority population (about 10:1) with the Bradley-Terry baseline and MaxMin (K = 2) trained on it
/// once for all the tests of a class.
/// </summary>
public sealed class MinorityFixture : IDisposable
{
    // The method alone: these fixtures test its own mechanics (the anchor, the default, has PopulationAnchorTests).
    public static readonly MaxMinOptions Options = new() { Seed = 1, Device = "cpu", Groups = 2, PopulationAnchor = false };

    public MinorityFixture()
    {
        Population = SyntheticPopulation.Generate(new SyntheticPopulationOptions
        {
            Preset = "minority",
            Seed = 3,
            SeenUsers = 132,
            UnseenUsers = 66,
            TrainPairsPerUser = 40,
            TestPairsPerSeenUser = 20,
            UnseenPairsPerUser = 30,
            ResponseDimension = 16,
        });
        Train = Population.ToDataset(Population.Train);
        TestSeen = Population.ToDataset(Population.TestSeen);
        TestUnseen = Population.ToDataset(Population.TestUnseen);
        Baseline = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 1, Device = "cpu" }).Fit(Train);
        Model = new MaxMinTrainer(Options).Fit(Train);

        // The head most of the seen minority users are assigned to.
        var minority = Population.SeenUsers.Where(u => Population.GroupOf(u) == "minority").ToList();
        var posteriors = Model.GetGroupPosteriorsAsync(minority).GetAwaiter().GetResult();
        MinorityHead = posteriors.GroupBy(p => p.MostLikelyGroup).MaxBy(g => g.Count())!.Key;
    }

    public SyntheticPopulation Population { get; }

    public PreferenceDataset Train { get; }

    public PreferenceDataset TestSeen { get; }

    public PreferenceDataset TestUnseen { get; }

    public BradleyTerryRewardModel Baseline { get; }

    public MaxMinRewardModel Model { get; }

    public int MinorityHead { get; }

    public void Dispose()
    {
        Model.Dispose();
        Baseline.Dispose();
    }
}

/// <summary>
/// The MaxMin classes that train run one after the other: trained concurrently in one process, AdamW's step has been
/// seen failing with "Unknown scalar type" (an open problem, docs/models/maxmin.md).
/// </summary>
[CollectionDefinition(Name)]
public sealed class MaxMinTraining
{
    public const string Name = "MaxMin training";
}
