using Pluralistic.Models;
using Pluralistic.Models.Pal;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using TorchSharp;

namespace Pluralistic.Tests.Models.Pal;

/// <summary>What every PAL model must do, whatever its variant: the contract of the model base, PAL's batched scoring and fitting, persistence.</summary>
public abstract class PalBehaviourTests(PalFixture fixture)
{
    protected PalFixture Fixture { get; } = fixture;

    [Fact]
    public async Task Swapping_chosen_and_rejected_gives_one_minus_p()
    {
        var test = Fixture.TestSeen;
        var straight = await Fixture.Model.ScorePairsAsync(test);
        var swapped = await Fixture.Model.ScorePairsAsync(test.WithLabelsFlipped());
        for (var i = 0; i < test.Count; i++)
        {
            Assert.Equal(1 - straight.ProbabilityChosen(i), swapped.ProbabilityChosen(i), 6);
        }
    }

    [Fact]
    public async Task The_reward_matrix_agrees_with_row_scoring_for_every_user()
    {
        // M responses (each with its record's prompt) against every user at once, versus each record scored for its own user.
        var data = Fixture.TestSeen.Select(Enumerable.Range(0, 60).ToArray());
        var rows = await Fixture.Model.ScorePairsAsync(data);
        var batch = new ResponseBatch(data.ChosenVectors, data.ResponseDimension, data.PromptVectors, data.PromptDimension);
        var matrix = await Fixture.Model.ScoreAsync(data.Users, batch);

        var userIndex = data.UserIndices.Span;
        for (var i = 0; i < data.Count; i++)
        {
            Assert.Equal(rows.RewardChosen[i], matrix[i, userIndex[i]], 1e-3); // a tolerance, not rounding: 5e-7 apart can round to different third decimals
        }

        // Personalised: users' columns differ.
        Assert.NotEqual(matrix.ForUser(0), matrix.ForUser(1));
    }

    [Fact]
    public async Task Unknown_users_fail_unless_cold_start_is_allowed()
    {
        var stranger = new UserId("nobody-knows-me");
        var data = Fixture.TestSeen.Select([0, 1, 2, 3]);
        var batch = new ResponseBatch(data.ChosenVectors, data.ResponseDimension, data.PromptVectors, data.PromptDimension);
        await Assert.ThrowsAsync<UnknownUserException>(() => Fixture.Model.ScoreAsync([stranger], batch));
        var cold = await Fixture.Model.ScoreAsync([stranger], batch, new ScoringOptions { AllowColdStart = true });
        Assert.All(cold.ForUser(0), r => Assert.True(float.IsFinite(r)));
    }

    [Fact]
    public async Task Adapting_a_new_user_moves_only_that_users_weights()
    {
        var model = Fixture.Model;
        var weightsBefore = model.SerializeWeights();
        var seen = Fixture.Train.Users.Take(5).ToList();
        var seenBefore = await model.UserStates.GetManyAsync(seen);

        using var view = model.WithUserStateStore(new OverlayUserStateStore(model.UserStates));
        var user = Fixture.Unseen.Users[0];
        var result = await view.AdaptAsync(PalFixture.UserPairs(Fixture.Unseen, user, 10));

        var state = Assert.Single(result.Users).State;
        Assert.Equal(model.Prototypes + (model.Info.PopulationAnchor is null ? 0 : 3), state.Vector.Length);
        Assert.Equal(model.Fingerprint, state.ModelFingerprint);
        Assert.Equal(weightsBefore, model.SerializeWeights());
        Assert.Equal(model.Fingerprint, Checkpoint.Sha256(model.SerializeWeights()));
        var seenAfter = await view.UserStates.GetManyAsync(seen);
        Assert.All(seen, u => Assert.Equal(seenBefore[u].Vector.ToArray(), seenAfter[u].Vector.ToArray()));
        Assert.Null(await model.UserStates.GetAsync(user));

        var weights = model.GetMixtureWeights(state);
        Assert.Equal(model.Prototypes, weights.Length);
        Assert.Equal(1.0, weights.Sum(), 6);
    }

    [Fact]
    public void Without_validation_pairs_the_manifest_reports_no_validation_figure_rather_than_NaN()
    {
        var metrics = Fixture.Model.Info.Metrics;
        Assert.All(metrics, m => Assert.False(double.IsNaN(m.Value), $"{m.Key} is NaN"));
        Assert.True(metrics.ContainsKey("training_loss"));
        Assert.Equal(Fixture.Model.Info.Options.GetProperty("validation_fraction").GetDouble() > 0, metrics.ContainsKey("validation_accuracy"));
    }

    [Fact]
    public async Task Users_fitted_together_get_the_states_they_get_alone()
    {
        // Different pair counts, so the batched fit pads.
        var users = Fixture.Unseen.Users.Take(3).ToList();
        int[] counts = [2, 7, 15];
        var pairs = users.Select((u, i) => PalFixture.UserPairs(Fixture.Unseen, u, counts[i])).ToList();
        var together = Fixture.Unseen.Select(Enumerable.Range(0, Fixture.Unseen.Count)
            .Where(r => users.Contains(Fixture.Unseen.UserAt(r)) && pairs[users.IndexOf(Fixture.Unseen.UserAt(r))].Count > 0)
            .GroupBy(r => Fixture.Unseen.UserAt(r)).SelectMany(g => g.Take(counts[users.IndexOf(g.Key)])).Order().ToArray());

        var noWrite = new AdaptationOptions { Persist = false };
        var batched = (await Fixture.Model.AdaptAsync(together, noWrite)).Users.ToDictionary(a => a.User, a => a.State.Vector.ToArray());
        for (var i = 0; i < users.Count; i++)
        {
            var alone = Assert.Single((await Fixture.Model.AdaptAsync(pairs[i], noWrite)).Users).State.Vector.ToArray();
            Assert.Equal(counts[i], pairs[i].Count);
            for (var k = 0; k < alone.Length; k++)
            {
                Assert.Equal(alone[k], batched[users[i]][k], 1e-3);
            }
        }
    }

    [Fact]
    public async Task Concurrent_adapts_give_the_same_states_as_sequential_ones()
    {
        var users = Fixture.Unseen.Users.Take(4).ToList();
        var noWrite = new AdaptationOptions { Persist = false };
        var sequential = new List<float[]>();
        foreach (var user in users)
        {
            sequential.Add(Assert.Single((await Fixture.Model.AdaptAsync(PalFixture.UserPairs(Fixture.Unseen, user, 10), noWrite)).Users).State.Vector.ToArray());
        }

        var concurrent = await Task.WhenAll(users.Select(user => Task.Run(async () =>
            Assert.Single((await Fixture.Model.AdaptAsync(PalFixture.UserPairs(Fixture.Unseen, user, 10), noWrite)).Users).State.Vector.ToArray())));

        for (var i = 0; i < users.Count; i++)
        {
            Assert.Equal(sequential[i], concurrent[i]);
        }
    }

    [Fact]
    public async Task A_restarted_process_scores_every_user_identically()
    {
        var model = Fixture.Model;
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, model.CreateManifest(), model.SerializeWeights());
        var users = Fixture.Train.Users;
        var states = await model.UserStates.GetManyAsync(users);

        // What a new process has: the run's files and the stored states.
        var (manifest, weights) = Checkpoint.Read(dir.Path);
        var store = new InMemoryUserStateStore();
        await store.UpsertManyAsync(states.Values.Select(s => s with { Vector = s.Vector.ToArray(), Evidence = s.Evidence.ToArray() }));
        using var loaded = RewardModelKinds.BuiltIn.Load(manifest, weights, store, torch.CPU);

        Assert.IsType<PalRewardModel>(loaded);
        Assert.Equal(model.Fingerprint, loaded.Fingerprint);
        var data = Fixture.TestSeen.Select(Enumerable.Range(0, 16).ToArray());
        var batch = new ResponseBatch(data.ChosenVectors, data.ResponseDimension, data.PromptVectors, data.PromptDimension);
        var before = await model.ScoreAsync(users, batch);
        var after = await loaded.ScoreAsync(users, batch);
        Assert.Equal(before.Values.ToArray(), after.Values.ToArray());

        // New users fit the same way too (the prior and the cold start are part of the weights).
        var pairs = PalFixture.UserPairs(Fixture.Unseen, Fixture.Unseen.Users[0], 5);
        var noWrite = new AdaptationOptions { Persist = false };
        Assert.Equal(
            Assert.Single((await model.AdaptAsync(pairs, noWrite)).Users).State.Vector.ToArray(),
            Assert.Single((await loaded.AdaptAsync(pairs, noWrite)).Users).State.Vector.ToArray());
    }

    /// <summary>
    /// PAL-B fits users in managed code; libtorch's autograd fit of the same loss (the reference) must give the same
    /// logits within float tolerance, for users with few and many pairs fitted together (padding) and alone.
    /// </summary>
    protected void AssertManagedFitMatchesAutograd()
    {
        var network = Fixture.Model.Network;
        int[] counts = [1, 4, 10, 25];
        var evidence = Fixture.Unseen.Users.Take(counts.Length).Select((user, i) => PalFixture.UserPairs(Fixture.Unseen, user, counts[i])).ToList();
        var fit = PalMixtureFit.Create(network, Fixture.Options);
        var managed = PalUserFitter.Fit(network, Fixture.Options, fit, evidence, torch.CPU, CancellationToken.None);
        var reference = PalUserFitter.Fit(network, Fixture.Options, managed: null, evidence, torch.CPU, CancellationToken.None);
        var alone = PalUserFitter.Fit(network, Fixture.Options, fit, evidence.Take(1).ToList(), torch.CPU, CancellationToken.None);
        Assert.Equal(counts.Length, managed.Length);
        Assert.All(managed[0].Zip(alone[0]), p => Assert.Equal(p.Second, p.First, 1e-5f));
        var start = network.PopulationLogits.data<float>().ToArray();
        for (var u = 0; u < counts.Length; u++)
        {
            Assert.Equal(network.K, managed[u].Length);
            for (var k = 0; k < network.K; k++)
            {
                Assert.Equal(reference[u][k], managed[u][k], 2e-3f);
            }

            // The fit moved the user away from the population's logits.
            Assert.True(managed[u].Zip(start).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);
        }
    }
}

public class PalBBehaviourTests(PalGroupsFixture fixture) : PalBehaviourTests(fixture), IClassFixture<PalGroupsFixture>
{
    [Fact]
    public void The_managed_fit_matches_the_autograd_fit() => AssertManagedFitMatchesAutograd();
}

public class PalABehaviourTests(PalVariantAFixture fixture) : PalBehaviourTests(fixture), IClassFixture<PalVariantAFixture>
{
    [Fact]
    public void The_same_seed_trains_bit_identical_weights()
    {
        using var again = new PalTrainer(Fixture.Options).Fit(Fixture.Train);
        Assert.Equal(Fixture.Model.Fingerprint, again.Fingerprint);
        using var other = new PalTrainer(Fixture.Options with { Seed = 2 }).Fit(Fixture.Train);
        Assert.NotEqual(Fixture.Model.Fingerprint, other.Fingerprint);
    }
}

public class PalMixtureBehaviourTests(PalMixtureFixture fixture) : PalBehaviourTests(fixture), IClassFixture<PalMixtureFixture>
{
    [Fact]
    public void The_managed_fit_matches_the_autograd_fit_with_prompt_bases() => AssertManagedFitMatchesAutograd();
}
