using System.Runtime.Intrinsics;
using Pluralistic.Data;
using Pluralistic.Models;
using Pluralistic.Models.Dpa;
using Pluralistic.Models.Pal;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using Pluralistic.Torch.Managed;

namespace Pluralistic.Tests.Models;

/// <summary>
/// The managed path small requests take must score what libtorch scores: every built-in kind, with and without
/// prompts, anchored to the population reward or not, for adapted users, unknown users (cold start) and explicit
/// directions. Each case scores the same request both ways and compares within float tolerance.
/// </summary>
public class ManagedScoringTests
{
    private static readonly Lazy<SyntheticPopulation> WithPrompts = new(() => SyntheticPopulation.Generate(new SyntheticPopulationOptions
    {
        Preset = "mixture",
        Seed = 3,
        SeenUsers = 30,
        UnseenUsers = 6,
        TrainPairsPerUser = 20,
        TestPairsPerSeenUser = 2,
        UnseenPairsPerUser = 8,
        ResponseDimension = 16,
    }));

    public static TheoryData<string, bool, bool> Cases()
    {
        var cases = new TheoryData<string, bool, bool>();
        foreach (var kind in RewardModelKinds.BuiltIn.Names)
        {
            cases.Add(kind, false, false);
            cases.Add(kind, true, false);
            if (kind != "bt")
            {
                // The baseline is the population reward itself: it has no anchor.
                cases.Add(kind, false, true);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Managed_scores_equal_libtorch_scores_for_adapted_and_cold_users(string kind, bool prompts, bool anchored)
    {
        var population = prompts ? WithPrompts.Value : Populations.SmallGroups;
        var method = RewardModelKinds.BuiltIn.Get(kind);
        using var model = method.Train(method.CreateDefaultOptions() with { Seed = 1, Device = "cpu", Threads = 1, Epochs = 2, PopulationAnchor = anchored }, population.ToDataset(population.Train));
        var unseen = population.ToDataset(population.TestUnseen);
        await model.AdaptAsync(unseen);
        Assert.Equal(anchored, model.Info.PopulationAnchor is not null);

        List<UserId> users = [.. unseen.Users.Take(3), new UserId("nobody-yet")];
        await AssertSameAsync(model, users, population.SampleResponses(64, seed: 4), new ScoringOptions { AllowColdStart = true });
    }

    [Fact]
    public async Task Managed_scores_equal_libtorch_scores_for_an_explicit_direction()
    {
        var population = Populations.SmallGroups;
        var method = RewardModelKinds.BuiltIn.Get(DpaRewardModel.KindName);
        using var model = (DpaRewardModel)method.Train(method.CreateDefaultOptions() with { Seed = 1, Device = "cpu", Threads = 1, Epochs = 2 }, population.ToDataset(population.Train));
        var direction = model.ObjectiveNames.Select((name, i) => (name, weight: (double)(i + 1))).ToDictionary(x => x.name, x => x.weight);
        await AssertSameAsync(model, [new UserId("a"), new UserId("b")], population.SampleResponses(64, seed: 5), new ScoringOptions { Direction = direction });
    }

    [Fact]
    public async Task Managed_scores_equal_libtorch_scores_for_pal_a()
    {
        var population = WithPrompts.Value;
        using var model = new PalTrainer(new PalOptions { Variant = PalVariant.A, Seed = 1, Device = "cpu", Threads = 1, Epochs = 2 }).Fit(population.ToDataset(population.Train));
        var unseen = population.ToDataset(population.TestUnseen);
        await model.AdaptAsync(unseen);
        await AssertSameAsync(model, [.. unseen.Users.Take(4)], population.SampleResponses(64, seed: 6), ScoringOptions.Default);
    }

    public static TheoryData<string> Kinds => [.. RewardModelKinds.BuiltIn.Names];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Compiling_and_scoring_on_the_managed_path_leaves_no_live_tensors(string kind)
    {
        var population = Populations.SmallGroups;
        var method = RewardModelKinds.BuiltIn.Get(kind);
        using var model = method.Train(method.CreateDefaultOptions() with { Seed = 1, Device = "cpu", Threads = 1, Epochs = 1 }, population.ToDataset(population.Train));
        var users = population.ToDataset(population.Train).Users.Take(2).ToList();
        var responses = population.SampleResponses(8, seed: 7);
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.NotNull(model.ManagedScorer);
        await model.ScoreAsync(users, responses);
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Large_requests_stay_on_libtorch_and_small_ones_take_the_managed_path()
    {
        var population = Populations.SmallGroups;
        var method = RewardModelKinds.BuiltIn.Get("pal");
        using var model = method.Train(method.CreateDefaultOptions() with { Seed = 1, Device = "cpu", Threads = 1, Epochs = 1 }, population.ToDataset(population.Train));
        var scorer = model.ManagedScorer;
        Assert.NotNull(scorer);
        Assert.True(ManagedScoring.Takes(scorer, 64, 1));
        Assert.False(ManagedScoring.Takes(scorer, 1024, 1000));
        Assert.False(ManagedScoring.Takes(null, 1, 1));
    }

    public static TheoryData<string, bool> LargeRequestKinds => new()
    {
        { "vpl", false }, { "vpl", true }, { "fspo", false }, { "fspo", true },
        { "bt", false }, { "bt", true }, { "dpa", false }, { "dpa", true }, { "maxmin", false },
    };

    [Theory]
    [MemberData(nameof(LargeRequestKinds))]
    public async Task Large_requests_of_conditioned_and_feature_heads_take_the_managed_path_on_the_cpu_and_equal_libtorch(string kind, bool anchored)
    {
        // Enough responses x every seen and adapted user to pass ManagedScoring.MaxWork: only scorers whose kernels keep
        // pace at every size (VPL's and FSPO's fused pass, the feature scorers' dense kernels) take it.
        var population = Populations.SmallGroups;
        var method = RewardModelKinds.BuiltIn.Get(kind);
        var train = population.ToDataset(population.Train);
        using var model = method.Train(method.CreateDefaultOptions() with { Seed = 1, Device = "cpu", Threads = 1, Epochs = 1, PopulationAnchor = anchored }, train);
        var unseen = population.ToDataset(population.TestUnseen);
        await model.AdaptAsync(unseen);
        List<UserId> users = [.. train.Users, .. unseen.Users];
        var scorer = model.ManagedScorer;
        Assert.NotNull(scorer);

        // Enough responses to pass ManagedScoring.MaxWork with this population's small dimensions.
        var m = 1024;
        while (scorer.Work(m, users.Count) <= ManagedScoring.MaxWork)
        {
            m *= 2;
        }

        Assert.False(ManagedScoring.Takes(scorer, m, users.Count, cpu: false));
        if (!Vector512.IsHardwareAccelerated)
        {
            Assert.False(ManagedScoring.Takes(scorer, m, users.Count));
            return;
        }

        Assert.True(ManagedScoring.Takes(scorer, m, users.Count));
        await AssertSameAsync(model, users, population.SampleResponses(m, seed: 8), ScoringOptions.Default);
    }

    private static async Task AssertSameAsync(TorchUserRewardModel model, List<UserId> users, ResponseBatch responses, ScoringOptions options)
    {
        Assert.True(ManagedScoring.Takes(model.ManagedScorer, responses.Count, users.Count), $"{model.Info.Kind}: the request should take the managed path");
        var managed = (await model.ScoreCoreAsync(users, responses, options, managed: true, CancellationToken.None)).Values.ToArray();
        var libtorch = (await model.ScoreCoreAsync(users, responses, options, managed: false, CancellationToken.None)).Values.ToArray();
        Assert.Equal(libtorch.Length, managed.Length);
        Assert.Contains(libtorch, v => v != libtorch[0]);
        for (var i = 0; i < libtorch.Length; i++)
        {
            Assert.True(
                Math.Abs(managed[i] - libtorch[i]) <= 1e-4 * (1 + Math.Abs(libtorch[i])),
                $"{model.Info.Kind}: value {i} is {managed[i]} managed, {libtorch[i]} with libtorch");
        }
    }
}
