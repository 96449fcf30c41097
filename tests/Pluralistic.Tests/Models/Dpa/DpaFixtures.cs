using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;

namespace Pluralistic.Tests.Models.Dpa;

/// <summary>Small populations for the DPA tests (generated once per process; generation is deterministic).</summary>
public static class DpaSmall
{
    private static readonly Lazy<SyntheticPopulation> DirectionsPopulation = new(() => SyntheticPopulation.Generate(new SyntheticPopulationOptions
    {
        Preset = "directions",
        Seed = 7,
        SeenUsers = 80,
        UnseenUsers = 20,
        TrainPairsPerUser = 30,
        TestPairsPerSeenUser = 10,
        UnseenPairsPerUser = 30,
        ResponseDimension = 16,
    }));

    /// <summary>The directions preset (ratings of helpfulness, verbosity, safety) at a size that trains in a few seconds.</summary>
    public static SyntheticPopulation Directions => DirectionsPopulation.Value;
}

/// <summary>A small directions population (ratings on three named objectives) and the models trained on it once.</summary>
public sealed class DpaDirectionsFixture : IDisposable
{
    // The method alone: these fixtures test its own mechanics (the anchor, the default, has PopulationAnchorTests).
    public static readonly DpaOptions Options = new() { Seed = 1, Device = "cpu", PopulationAnchor = false };

    public DpaDirectionsFixture()
    {
        Population = DpaSmall.Directions;
        Train = Population.ToDataset(Population.Train);
        Seen = Population.ToDataset(Population.TestSeen);
        Unseen = Population.ToDataset(Population.TestUnseen);
        Model = new DpaTrainer(Options).Fit(Train);
        Baseline = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 1, Device = "cpu", Epochs = 60 }).Fit(Train);
    }

    public SyntheticPopulation Population { get; }

    public PreferenceDataset Train { get; }

    public PreferenceDataset Seen { get; }

    public PreferenceDataset Unseen { get; }

    public DpaRewardModel Model { get; }

    public BradleyTerryRewardModel Baseline { get; }

    public void Dispose()
    {
        Model.Dispose();
        Baseline.Dispose();
    }
}

/// <summary>The small groups population (no ratings): DPA in latent-objective mode and the baseline, trained once.</summary>
public sealed class DpaLatentFixture : IDisposable
{
    // The method alone: these fixtures test its own mechanics (the anchor, the default, has PopulationAnchorTests).
    public static readonly DpaOptions Options = new() { Seed = 1, Device = "cpu", PopulationAnchor = false };

    public DpaLatentFixture()
    {
        var population = Support.Populations.SmallGroups;
        Train = population.ToDataset(population.Train);
        Seen = population.ToDataset(population.TestSeen);
        Unseen = population.ToDataset(population.TestUnseen);
        Model = new DpaTrainer(Options).Fit(Train);
        Baseline = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 1, Device = "cpu" }).Fit(Train);
    }

    public PreferenceDataset Train { get; }

    public PreferenceDataset Seen { get; }

    public PreferenceDataset Unseen { get; }

    public DpaRewardModel Model { get; }

    public BradleyTerryRewardModel Baseline { get; }

    public void Dispose()
    {
        Model.Dispose();
        Baseline.Dispose();
    }
}
