using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Tests.Support;
using Pluralistic.Models.Vpl;

namespace Pluralistic.Tests.Models.Vpl;

/// <summary>
/// A VPL model and the Bradley-Terry baseline trained once on a small synthetic population, with their seen-user and
/// unseen-user (10 context pairs, label flip measured) evaluations, shared by a test class.
/// </summary>
public abstract class VplFixture : IDisposable
{
    /// <summary>Test-scale options: the defaults with a fixed seed, the CPU, one libtorch thread and 60 epochs.</summary>
    // The method alone: these fixtures test its own mechanics (the anchor, the default, has PopulationAnchorTests).
    public static readonly VplOptions Options = new() { Seed = 1, Device = "cpu", Threads = 1, Epochs = 60, PopulationAnchor = false };

    protected VplFixture(SyntheticPopulationOptions population)
    {
        Population = SyntheticPopulation.Generate(population);
        Train = Population.ToDataset(Population.Train);
        TestSeen = Population.ToDataset(Population.TestSeen);
        TestUnseen = Population.ToDataset(Population.TestUnseen);
        Model = new VplTrainer(Options).Fit(Train);
        Baseline = Populations.TrainBaseline(Train);

        var unseen = new EvaluationOptions { ContextPairs = 10, MeasureContextSensitivity = true };
        Seen = RewardModelEvaluator.EvaluateAsync(Model, TestSeen).GetAwaiter().GetResult();
        Unseen = RewardModelEvaluator.EvaluateAsync(Model, TestUnseen, unseen).GetAwaiter().GetResult();
        BaselineSeen = RewardModelEvaluator.EvaluateAsync(Baseline, TestSeen).GetAwaiter().GetResult();
        BaselineUnseen = RewardModelEvaluator.EvaluateAsync(Baseline, TestUnseen, unseen).GetAwaiter().GetResult();
    }

    public SyntheticPopulation Population { get; }

    public PreferenceDataset Train { get; }

    public PreferenceDataset TestSeen { get; }

    public PreferenceDataset TestUnseen { get; }

    public VplRewardModel Model { get; }

    public BradleyTerryRewardModel Baseline { get; }

    public EvaluationResult Seen { get; }

    public EvaluationResult Unseen { get; }

    public EvaluationResult BaselineSeen { get; }

    public EvaluationResult BaselineUnseen { get; }

    public void Dispose()
    {
        Model.Dispose();
        Baseline.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The groups preset (three groups of unequal size) at test scale.</summary>
public sealed class VplGroupsFixture() : VplFixture(Populations.EpisodicGroups);

/// <summary>The opposing-minority preset (about 10:1, opposite tastes on contested pairs) at test scale.</summary>
public sealed class VplMinorityFixture() : VplFixture(Populations.EpisodicMinority);
