using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Pal;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Models.Pal;

/// <summary>
/// A PAL model, the baseline trained on the same pairs, and the population they came from. The model is PAL alone: these
/// fixtures test its own mechanics (the anchor, the default, has PopulationAnchorTests).
/// </summary>
public abstract class PalFixture : IDisposable
{
    protected PalFixture(SyntheticPopulationOptions population, PalOptions options, bool withBaseline)
    {
        Population = SyntheticPopulation.Generate(population);
        Train = Population.ToDataset(Population.Train);
        TestSeen = Population.ToDataset(Population.TestSeen);
        Unseen = Population.ToDataset(Population.TestUnseen);
        Options = options;
        Model = new PalTrainer(options).Fit(Train);
        if (withBaseline)
        {
            Baseline = Populations.TrainBaseline(Train);
        }
    }

    public SyntheticPopulation Population { get; }

    public PreferenceDataset Train { get; }

    public PreferenceDataset TestSeen { get; }

    public PreferenceDataset Unseen { get; }

    public PalOptions Options { get; }

    public PalRewardModel Model { get; }

    public BradleyTerryRewardModel? Baseline { get; }

    /// <summary>One user's records of a dataset, in order.</summary>
    public static PreferenceDataset UserPairs(PreferenceDataset data, UserId user, int count) =>
        data.Select(Enumerable.Range(0, data.Count).Where(i => data.UserAt(i) == user).Take(count).ToArray());

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        Model.Dispose();
        Baseline?.Dispose();
    }
}

/// <summary>
/// The groups preset (three groups of 55/30/15%, users at cosine 0.7 from their group's centre) at a size that
/// trains in a couple of seconds: 100 seen users with 30 pairs, 30 unseen users with 30 pairs, 16-dim responses.
/// PAL-B with the default options (K = 32 without prompts).
/// </summary>
public sealed class PalGroupsFixture() : PalFixture(
    new SyntheticPopulationOptions
    {
        Preset = "groups",
        Seed = 5,
        SeenUsers = 100,
        UnseenUsers = 30,
        TrainPairsPerUser = 30,
        TestPairsPerSeenUser = 10,
        UnseenPairsPerUser = 30,
        ResponseDimension = 16,
    },
    new PalOptions { Seed = 1, Device = "cpu", Threads = 1, PopulationAnchor = false },
    withBaseline: true);

/// <summary>PAL-A on the small groups population of the other tests (fast; for behaviour, not accuracy).</summary>
public sealed class PalVariantAFixture() : PalFixture(
    new SyntheticPopulationOptions
    {
        Preset = "groups",
        Seed = 5,
        SeenUsers = 60,
        UnseenUsers = 12,
        TrainPairsPerUser = 30,
        TestPairsPerSeenUser = 10,
        UnseenPairsPerUser = 20,
        ResponseDimension = 16,
    },
    new PalOptions { Variant = PalVariant.A, Prototypes = 6, Epochs = 10, Seed = 1, Device = "cpu", Threads = 1, PopulationAnchor = false },
    withBaseline: false);

/// <summary>
/// The prompt-dependent mixture preset (three reward functions whose direction turns with the prompt; users mostly
/// one of them) at a small size: 100 seen users with 40 pairs, 16-dim responses and prompts. PAL-B (K = 4 with
/// prompts), with PAL-A and the baseline trained on the same pairs.
/// </summary>
public sealed class PalMixtureFixture : PalFixture
{
    public PalMixtureFixture()
        : base(
            new SyntheticPopulationOptions
            {
                Preset = "mixture",
                Seed = 5,
                SeenUsers = 100,
                UnseenUsers = 20,
                TrainPairsPerUser = 40,
                TestPairsPerSeenUser = 10,
                UnseenPairsPerUser = 30,
                ResponseDimension = 16,
            },
            new PalOptions { Seed = 1, Device = "cpu", Threads = 1, PopulationAnchor = false },
            withBaseline: true)
    {
        VariantA = new PalTrainer(Options with { Variant = PalVariant.A }).Fit(Train);
    }

    public PalRewardModel VariantA { get; }

    protected override void Dispose(bool disposing)
    {
        VariantA.Dispose();
        base.Dispose(disposing);
    }
}
