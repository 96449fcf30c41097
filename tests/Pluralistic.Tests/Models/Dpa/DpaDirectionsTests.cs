using Pluralistic.Evaluation;
using Pluralistic.Models.Dpa;
using Pluralistic.Runs;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Models.Dpa;

/// <summary>DPA on a population with per-objective ratings, users as unit directions over three named objectives.</summary>
public class DpaDirectionsTests(DpaDirectionsFixture fixture) : IClassFixture<DpaDirectionsFixture>
{
    private IMultiObjectiveRewardModel Objectives => fixture.Model.GetRequiredService<IMultiObjectiveRewardModel>();

    [Fact]
    public void The_objectives_are_the_rated_ones_in_the_datas_order()
    {
        Assert.Equal(["helpfulness", "verbosity", "safety"], Objectives.ObjectiveNames);
        Assert.False(Objectives.HasLatentObjectives);
        Assert.Equal(Objectives.ObjectiveNames, fixture.Model.Metadata.ObjectiveNames);
        Assert.True(Objectives.RewardScale > 0);
        Assert.Equal(1, Objectives.PopulationDirection.Weights.Sum(w => w * w), 6);
    }

    [Fact]
    public async Task A_named_direction_without_user_history_ranks_fresh_pairs_like_the_hidden_directional_reward()
    {
        var direction = Objectives.Direction(("helpfulness", 1), ("verbosity", -0.5));
        var responses = fixture.Population.SampleResponses(2000, seed: 11);

        // Through the ordinary scoring path: an explicit direction replaces the (unknown) user's state.
        var rewards = (await fixture.Model.ScoreAsync([new UserId("nobody")], responses, new ScoringOptions { Direction = direction.ToDictionary() })).ForUser(0);
        var agreement = Agreement(rewards, responses, direction);

        Assert.True(agreement >= 0.9, $"agreement with the hidden directional reward {agreement:F3}");
    }

    [Fact]
    public async Task Personal_directions_beat_the_baseline_on_seen_users_and_on_unseen_users_with_ten_context_pairs()
    {
        var seen = await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.Seen);
        var seenBaseline = await RewardModelEvaluator.EvaluateAsync(fixture.Baseline, fixture.Seen);
        var unseenOptions = new EvaluationOptions { ContextPairs = 10 };
        var unseen = await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.Unseen, unseenOptions);
        var unseenBaseline = await RewardModelEvaluator.EvaluateAsync(fixture.Baseline, fixture.Unseen, unseenOptions);

        Assert.True(seen.Metrics.Accuracy >= seenBaseline.Metrics.Accuracy + 0.05, $"seen: DPA {seen.Metrics.Accuracy:F3} vs BT {seenBaseline.Metrics.Accuracy:F3}");
        Assert.True(unseen.Metrics.Accuracy >= unseenBaseline.Metrics.Accuracy + 0.03, $"unseen@10: DPA {unseen.Metrics.Accuracy:F3} vs BT {unseenBaseline.Metrics.Accuracy:F3}");
    }

    [Fact]
    public async Task Turning_the_direction_toward_an_objective_raises_that_objectives_true_value_of_the_best_of_n_pick_monotonically()
    {
        var start = Objectives.Direction(("helpfulness", 1), ("verbosity", -0.5));
        var candidates = fixture.Population.SampleResponses(16 * 200, seed: 21);

        var sweep = await ControlSweep.TowardAsync(
            fixture.Model, start, "verbosity", candidates, fixture.Population.Objectives, fixture.Population.TrueObjectives, new ControlSweepOptions { Steps = 6 });

        var verbosity = sweep.Series("verbosity");
        Assert.Equal(6, sweep.Points.Count);
        Assert.Equal(200, sweep.Picks);
        Assert.True(sweep.IsNonDecreasing("verbosity"), $"verbosity of the pick: {string.Join(", ", verbosity.Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(verbosity[^1] - verbosity[0] > 0.5, $"from {verbosity[0]:F3} to {verbosity[^1]:F3}");
        Assert.Equal(0, sweep.Points[0].AngleDegrees, 6);
        Assert.Equal(start.AngleDegrees(Objectives.Along("verbosity")), sweep.Points[^1].AngleDegrees, 6);
        Assert.NotEmpty(ControlSweepPlot.RenderPng(sweep));
    }

    [Fact]
    public async Task An_unknown_objective_name_is_a_typed_error_that_names_it_and_the_known_ones()
    {
        var responses = fixture.Population.SampleResponses(4, seed: 2);
        var direction = new Dictionary<string, double> { ["helpfulness"] = 1, ["humour"] = 2 };

        var scoring = await Assert.ThrowsAsync<UnknownObjectiveException>(
            () => fixture.Model.ScoreAsync([fixture.Seen.Users[0]], responses, new ScoringOptions { Direction = direction }));
        Assert.Equal("humour", scoring.Objective);
        Assert.Equal(["helpfulness", "verbosity", "safety"], scoring.KnownObjectives);
        Assert.Contains("'humour'", scoring.Message, StringComparison.Ordinal);
        Assert.Contains("helpfulness, verbosity, safety", scoring.Message, StringComparison.Ordinal);

        // The same through a record's direction field.
        var builder = new PreferenceDatasetBuilder(fixture.Seen.ResponseDimension);
        builder.Add(fixture.Seen.Users[0], fixture.Seen.ChosenVector(0), fixture.Seen.RejectedVector(0), default, new PreferenceRecordExtras { Direction = direction });
        await Assert.ThrowsAsync<UnknownObjectiveException>(() => fixture.Model.ScorePairsAsync(builder.Build()));
        Assert.Throws<UnknownObjectiveException>(() => Objectives.Direction(("Helpfulness", 1)));
        Assert.Throws<ArgumentException>(() => Objectives.Direction(("helpfulness", 0)));
    }

    [Fact]
    public async Task A_records_direction_replaces_its_users_state_and_swapping_the_pair_gives_one_minus_p()
    {
        var direction = new Dictionary<string, double> { ["safety"] = 1, ["verbosity"] = 0.25 };
        var builder = new PreferenceDatasetBuilder(fixture.Seen.ResponseDimension);
        for (var i = 0; i < 20; i++)
        {
            builder.Add(fixture.Seen.UserAt(i), fixture.Seen.ChosenVector(i), fixture.Seen.RejectedVector(i), default, new PreferenceRecordExtras { Direction = i % 2 == 0 ? direction : null });
        }

        var pairs = builder.Build();
        var predictions = await fixture.Model.ScorePairsAsync(pairs);
        var own = await fixture.Model.ScorePairsAsync(fixture.Seen.Select(Enumerable.Range(0, 20).ToArray()));
        var explicitDirection = Objectives.Direction(direction);
        for (var i = 0; i < 20; i++)
        {
            var expected = i % 2 == 0
                ? (await Objectives.ScoreDirectionAsync(ResponseBatch.FromVectors([pairs.ChosenVector(i).ToArray()]), explicitDirection))[0]
                : own.RewardChosen[i];
            Assert.Equal(expected, predictions.RewardChosen[i], 5);
        }

        var swapped = await fixture.Model.ScorePairsAsync(pairs.WithLabelsFlipped());
        for (var i = 0; i < pairs.Count; i++)
        {
            Assert.Equal(1 - predictions.ProbabilityChosen(i), swapped.ProbabilityChosen(i), 6);
        }
    }

    [Fact]
    public async Task A_directions_reward_is_the_scaled_dot_product_of_the_direction_and_the_per_objective_scores()
    {
        var responses = fixture.Population.SampleResponses(50, seed: 5);
        var scores = await Objectives.ScoreObjectivesAsync(responses);
        var direction = Objectives.DirectionAtAngle("helpfulness", "safety", 30);
        var rewards = await Objectives.ScoreDirectionAsync(responses, direction);

        Assert.Equal(50, scores.ResponseCount);
        Assert.Equal(Math.Cos(Math.PI / 6), direction["helpfulness"], 12);
        Assert.Equal(0.5, direction["safety"], 12);
        for (var m = 0; m < 50; m++)
        {
            var expected = Objectives.RewardScale * direction.Weights.Select((w, o) => w * scores[m, o]).Sum();
            Assert.Equal(expected, rewards[m], 1e-4);
        }

        // The per-objective scores track the true objectives (standardised ratings are affine in them).
        var truth = Enumerable.Range(0, 50).Select(m => fixture.Population.TrueObjectives(responses.Responses.Span.Slice(m * 16, 16))[0]).ToArray();
        Assert.True(Correlation(truth, scores.ForObjective("helpfulness")) > 0.9);
    }

    [Fact]
    public async Task Seen_users_have_unit_directions_near_their_groups_and_cold_start_uses_the_population_direction()
    {
        var users = fixture.Train.Users.Take(30).ToList();
        var directions = await Objectives.GetUserDirectionsAsync(users);
        Assert.Equal(30, directions.Count);
        Assert.All(directions.Values, d => Assert.Equal(1, d.Weights.Sum(w => w * w), 5));

        // Concise users weigh verbosity negatively, detailed users positively (the generator's group centres).
        var concise = users.Where(u => fixture.Population.GroupOf(u) == "concise").Select(u => directions[u]["verbosity"]).Average();
        var detailed = users.Where(u => fixture.Population.GroupOf(u) == "detailed").Select(u => directions[u]["verbosity"]).Average();
        Assert.True(concise < 0 && detailed > 0, $"mean verbosity weight: concise {concise:F2}, detailed {detailed:F2}");

        var responses = fixture.Population.SampleResponses(8, seed: 3);
        var cold = await fixture.Model.ScoreAsync([new UserId("stranger")], responses, new ScoringOptions { AllowColdStart = true });
        var population = await Objectives.ScoreDirectionAsync(responses, Objectives.PopulationDirection);
        Assert.Equal(population, cold.ForUser(0));
    }

    [Fact]
    public async Task New_users_directions_follow_their_context_labels()
    {
        var result = await RewardModelEvaluator.EvaluateAsync(
            fixture.Model, fixture.Unseen, new EvaluationOptions { ContextPairs = 10, MeasureContextSensitivity = true });

        Assert.True(result.ContextSensitivity > 0.5, $"label-flip sensitivity {result.ContextSensitivity:F3}");
        Assert.Null(await fixture.Model.UserStates.GetAsync(fixture.Unseen.Users[0])); // evaluation adapts in an overlay
    }

    [Fact]
    public async Task A_saved_run_reopens_and_scores_users_and_directions_identically()
    {
        using var dir = new TempDirectory();
        var direction = new Dictionary<string, double> { ["helpfulness"] = 1, ["verbosity"] = -0.5 };
        var responses = fixture.Population.SampleResponses(20, seed: 9);
        var users = fixture.Train.Users.Take(5).ToList();
        var before = await fixture.Model.ScorePairsAsync(fixture.Seen);
        var beforeDirection = await fixture.Model.ScoreAsync(users, responses, new ScoringOptions { Direction = direction });
        await RunDirectory.SaveAsync(fixture.Model, dir.Path);

        using var reopened = RunDirectory.Open(dir.Path);
        Assert.IsType<DpaRewardModel>(reopened);
        Assert.Equal(fixture.Model.Fingerprint, reopened.Fingerprint);
        var after = await reopened.ScorePairsAsync(fixture.Seen);
        Assert.Equal(before.RewardChosen.ToArray(), after.RewardChosen.ToArray());
        Assert.Equal(before.RewardRejected.ToArray(), after.RewardRejected.ToArray());
        Assert.Equal(beforeDirection.Values.ToArray(), (await reopened.ScoreAsync(users, responses, new ScoringOptions { Direction = direction })).Values.ToArray());
        var objectives = reopened.GetRequiredService<IMultiObjectiveRewardModel>();
        Assert.Equal(Objectives.ObjectiveNames, objectives.ObjectiveNames);
        Assert.Equal(Objectives.PopulationDirection, objectives.PopulationDirection);
        Assert.Equal(Objectives.RewardScale, objectives.RewardScale);
        Assert.Equal((await Objectives.GetUserDirectionsAsync(users))[users[0]], (await objectives.GetUserDirectionsAsync(users))[users[0]]);
    }

    private double Agreement(float[] rewards, ResponseBatch responses, PreferenceDirection direction)
    {
        var d = responses.Dimension;
        double Hidden(int i)
        {
            var truth = fixture.Population.TrueObjectives(responses.Responses.Span.Slice(i * d, d));
            return direction.Weights.Select((w, o) => w * truth[o]).Sum();
        }

        var agree = 0;
        for (var i = 0; i + 1 < responses.Count; i += 2)
        {
            agree += (Hidden(i) > Hidden(i + 1)) == (rewards[i] > rewards[i + 1]) ? 1 : 0;
        }

        return agree / (responses.Count / 2.0);
    }

    private static double Correlation(double[] x, float[] y)
    {
        var mx = x.Average();
        var my = y.Average(v => (double)v);
        var sxy = x.Select((v, i) => (v - mx) * (y[i] - my)).Sum();
        var sxx = x.Sum(v => (v - mx) * (v - mx));
        var syy = y.Sum(v => (v - my) * (v - my));
        return sxy / Math.Sqrt(sxx * syy);
    }
}
