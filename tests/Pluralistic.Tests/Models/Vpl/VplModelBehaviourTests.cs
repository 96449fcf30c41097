using Pluralistic.Models;
using Pluralistic.Models.Vpl;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using TorchSharp;

namespace Pluralistic.Tests.Models.Vpl;

/// <summary>What a trained VPL model guarantees: symmetry, consistent scoring paths, states, capabilities, persistence.</summary>
[Collection(VplGroupsShared.Name)]
public class VplModelBehaviourTests(VplGroupsFixture fixture)
{
    private VplRewardModel Model => fixture.Model;

    [Fact]
    public async Task Swapping_chosen_and_rejected_gives_one_minus_p()
    {
        var straight = await Model.ScorePairsAsync(fixture.TestSeen);
        var swapped = await Model.ScorePairsAsync(fixture.TestSeen.WithLabelsFlipped());
        for (var i = 0; i < straight.Count; i++)
        {
            Assert.Equal(1 - straight.ProbabilityChosen(i), swapped.ProbabilityChosen(i), 6);
        }
    }

    [Fact]
    public async Task The_reward_matrix_agrees_with_pair_scoring()
    {
        var test = fixture.TestSeen;
        var users = test.Users.Take(4).ToList();
        var records = users.Select(u => Enumerable.Range(0, test.Count).First(i => test.UserAt(i) == u)).ToArray();
        var pairs = await Model.ScorePairsAsync(test.Select(records));
        for (var j = 0; j < users.Count; j++)
        {
            var responses = ResponseBatch.FromVectors([test.ChosenVector(records[j]).ToArray(), test.RejectedVector(records[j]).ToArray()]);
            var matrix = await Model.ScoreAsync(users, responses);
            Assert.Equal(pairs.RewardChosen[j], matrix[0, j], 4);
            Assert.Equal(pairs.RewardRejected[j], matrix[1, j], 4);
        }

        // Users differ: personalisation shows in the matrix.
        var many = await Model.ScoreAsync(users, fixture.Population.SampleResponses(16, seed: 3));
        Assert.NotEqual(many.ForUser(0), many.ForUser(1));
    }

    [Fact]
    public async Task More_pairs_update_a_users_state_online()
    {
        using var view = Model.WithUserStateStore(new OverlayUserStateStore(Model.UserStates));
        var unseen = fixture.TestUnseen;
        var user = unseen.Users[0];
        var records = Enumerable.Range(0, unseen.Count).Where(i => unseen.UserAt(i) == user).ToArray();

        var first = (await view.AdaptAsync(unseen.Select(records.AsSpan(0, 5)))).Users[0].State;
        var second = (await view.AdaptAsync(unseen.Select(records.AsSpan(5, 5)))).Users[0].State;
        Assert.Equal(5, first.EvidenceCount);
        Assert.Equal(10, second.EvidenceCount);
        Assert.Equal(10, second.PairCount);
        Assert.Equal(2, second.Revision);
        Assert.NotEqual(first.Vector.ToArray(), second.Vector.ToArray());

        // The online update reads every retained pair: it equals inferring from all ten at once.
        var batch = (await view.AdaptAsync(unseen.Select(records.AsSpan(0, 10)), new AdaptationOptions { Replace = true, Persist = false })).Users[0].State;
        Assert.Equal(batch.Vector.ToArray(), second.Vector.ToArray());
        Assert.Null(await Model.UserStates.GetAsync(user));
    }

    [Fact]
    public async Task Seen_users_have_posteriors_and_unknown_users_get_the_prior_only_when_allowed()
    {
        var posterior = Model.GetRequiredService<IUserPosterior>();
        var seen = await posterior.GetPosteriorsAsync(fixture.Train.Users.Take(3).ToList());
        Assert.All(seen, p =>
        {
            Assert.False(p.IsPrior);
            Assert.Equal(Model.LatentSize, p.Mean.Count);
            // The encoder's mean is clamped to [-1, 1]; the adaptation steps move it on from there, so only finiteness holds.
            Assert.All(p.Mean, m => Assert.True(float.IsFinite(m)));
            Assert.Contains(p.Mean, m => m != 0f);
            Assert.All(p.Variance, v => Assert.InRange(v, MathF.Exp(-1) - 1e-6f, MathF.Exp(1) + 1e-6f));
        });

        var stranger = new UserId("nobody-knows-me");
        await Assert.ThrowsAsync<UnknownUserException>(() => posterior.GetPosteriorsAsync([stranger]));
        var prior = Assert.Single(await posterior.GetPosteriorsAsync([stranger], new ScoringOptions { AllowColdStart = true }));
        Assert.True(prior.IsPrior);
        Assert.All(prior.Mean, m => Assert.Equal(0f, m));
        Assert.Equal(1.0, prior.MeanVariance, 6);
    }

    [Fact]
    public async Task Capabilities_are_reachable_through_views()
    {
        using var view = Model.WithUserStateStore(new OverlayUserStateStore(Model.UserStates));
        Assert.NotNull(view.GetService<IUserPosterior>());
        Assert.NotNull(view.GetService<IActiveQuestionSelector>());
        Assert.NotNull(Model.GetService<IUserStateStoreAccessor>());
        Assert.Null(fixture.Baseline.GetService<IActiveQuestionSelector>());
    }

    [Fact]
    public async Task Question_rankings_score_expected_information()
    {
        var selector = Model.GetRequiredService<IActiveQuestionSelector>();
        var user = fixture.Train.Users[0];
        var candidates = fixture.TestSeen.Select(Enumerable.Range(0, 12).ToArray());
        var ranking = await selector.RankQuestionsAsync(user, candidates);
        Assert.Equal(12, ranking.Scores.Count);
        Assert.Equal(Enumerable.Range(0, 12).Order(), ranking.Order.Order());
        Assert.All(ranking.Scores, s => Assert.InRange(s, 0, Math.Log(2) + 1e-9));
        for (var i = 1; i < ranking.Order.Count; i++)
        {
            Assert.True(ranking.Scores[ranking.Order[i - 1]] >= ranking.Scores[ranking.Order[i]]);
        }

        // The answer to "a or a?" says nothing; repeating a call gives the same ranking.
        var a = fixture.Population.SampleResponses(1, seed: 9).Responses.ToArray();
        var same = new PreferenceDatasetBuilder(a.Length, 0, 1);
        same.Add(user, a, a, default, new PreferenceRecordExtras());
        Assert.Equal(0, (await selector.RankQuestionsAsync(user, same.Build())).Scores[0], 9);
        Assert.Equal(ranking.Scores, (await selector.RankQuestionsAsync(user, candidates)).Scores);

        // A stranger is ranked from the prior; wrong dimensions are a typed error.
        Assert.Equal(12, (await selector.RankQuestionsAsync(new UserId("stranger"), candidates)).Order.Count);
        var wrong = new PreferenceDatasetBuilder(3, 0, 1);
        wrong.Add(user, new float[3], new float[3], default, new PreferenceRecordExtras());
        await Assert.ThrowsAsync<DimensionMismatchException>(() => selector.RankQuestionsAsync(user, wrong.Build()));
    }

    [Fact]
    public async Task Cold_start_scores_with_the_prior_latent()
    {
        var responses = fixture.Population.SampleResponses(8, seed: 5);
        var stranger = new UserId("nobody-knows-me");
        await Assert.ThrowsAsync<UnknownUserException>(() => Model.ScoreAsync([stranger], responses));
        var cold = await Model.ScoreAsync([stranger, new UserId("another-stranger")], responses, new ScoringOptions { AllowColdStart = true });
        Assert.Equal(cold.ForUser(0), cold.ForUser(1));
    }

    [Fact]
    public async Task A_reloaded_run_scores_identically()
    {
        using var dir = new TempDirectory();
        var manifest = Checkpoint.Write(dir.Path, Model.CreateManifest(), Model.SerializeWeights());
        Assert.Equal(VplRewardModel.KindName, manifest.ModelKind);
        var (readManifest, weights) = Checkpoint.Read(dir.Path);

        var store = new InMemoryUserStateStore();
        await foreach (var state in Model.UserStates.ListAsync())
        {
            await store.UpsertAsync(state);
        }

        using var loaded = RewardModelKinds.BuiltIn.Load(readManifest, weights, store, torch.CPU);
        Assert.IsType<VplRewardModel>(loaded);
        Assert.Equal(Model.Fingerprint, loaded.Fingerprint);
        var before = await Model.ScorePairsAsync(fixture.TestSeen);
        var after = await loaded.ScorePairsAsync(fixture.TestSeen);
        Assert.Equal(before.RewardChosen.ToArray(), after.RewardChosen.ToArray());
        Assert.Equal(before.RewardRejected.ToArray(), after.RewardRejected.ToArray());
        var options = ((VplRewardModel)loaded).Options;
        Assert.Equal(Model.Options.HeadHiddenSizes, options.HeadHiddenSizes);
        Assert.Equal(Model.Options with { HeadHiddenSizes = [], EncoderHiddenSizes = [] }, options with { HeadHiddenSizes = [], EncoderHiddenSizes = [] });
    }
}
