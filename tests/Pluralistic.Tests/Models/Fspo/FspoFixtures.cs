using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Tests.Support;
using Pluralistic.Models.Fspo;

namespace Pluralistic.Tests.Models.Fspo;

/// <summary>
/// An FSPO model and the Bradley-Terry baseline trained once on a small synthetic population, with their unseen-user
/// evaluations at k = 1, 2, 5, 10 context pairs (label flip measured at 10), shared by a test class.
/// </summary>
public abstract class FspoFixture : IDisposable
{
    /// <summary>Test-scale options: the defaults with a fixed seed, the CPU, one libtorch thread and 60 epochs.</summary>
    // The method alone: these fixtures test its own mechanics (the anchor, the default, has PopulationAnchorTests).
    public static readonly FspoOptions Options = new() { Seed = 1, Device = "cpu", Threads = 1, Epochs = 60, PopulationAnchor = false };

    public static readonly int[] Shots = [1, 2, 5, 10];

    protected FspoFixture(SyntheticPopulationOptions population)
    {
        Population = SyntheticPopulation.Generate(population);
        Train = Population.ToDataset(Population.Train);
        TestUnseen = Population.ToDataset(Population.TestUnseen);
        Model = new FspoTrainer(Options).Fit(Train);
        Baseline = Populations.TrainBaseline(Train);

        FewShot = Shots.ToDictionary(
            k => k,
            k => RewardModelEvaluator.EvaluateAsync(Model, TestUnseen, new EvaluationOptions { ContextPairs = k, MeasureContextSensitivity = k == 10 })
                .GetAwaiter().GetResult());
        BaselineUnseen = RewardModelEvaluator.EvaluateAsync(Baseline, TestUnseen, new EvaluationOptions { ContextPairs = 10, MeasureContextSensitivity = true })
            .GetAwaiter().GetResult();
    }

    public SyntheticPopulation Population { get; }

    public PreferenceDataset Train { get; }

    public PreferenceDataset TestUnseen { get; }

    public FspoRewardModel Model { get; }

    public BradleyTerryRewardModel Baseline { get; }

    /// <summary>Unseen-user evaluations by number of context pairs.</summary>
    public IReadOnlyDictionary<int, EvaluationResult> FewShot { get; }

    public EvaluationResult BaselineUnseen { get; }

    public void Dispose()
    {
        Model.Dispose();
        Baseline.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The groups preset (three groups of unequal size) at test scale.</summary>
public sealed class FspoGroupsFixture() : FspoFixture(Populations.EpisodicGroups);

/// <summary>The opposing-minority preset (about 10:1, opposite tastes on contested pairs) at test scale.</summary>
public sealed class FspoMinorityFixture() : FspoFixture(Populations.EpisodicMinority);
