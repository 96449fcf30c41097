using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Evaluation;

public class RewardModelEvaluatorTests
{
    private static readonly PreferenceDataset Train = OpposingUsers.Generate(users: 6, pairsPerUser: 20, seed: 1, prefix: "s");

    /// <summary>A model whose real store holds the seen users' states (adapted from <see cref="Train"/>).</summary>
    private static async Task<MeanDifferenceModel> TrainedAsync(bool ignoreUsers = false)
    {
        var model = new MeanDifferenceModel(OpposingUsers.Dimension, new InMemoryUserStateStore(), ignoreUsers);
        await model.AdaptAsync(Train);
        return model;
    }

    private static async Task<List<UserState>> SnapshotAsync(IUserStateStore store)
    {
        var states = new List<UserState>();
        await foreach (var state in store.ListAsync())
        {
            states.Add(state);
        }

        return states;
    }

    private static async Task AssertUnchangedAsync(List<UserState> before, IUserStateStore store)
    {
        var after = await SnapshotAsync(store);
        Assert.Equal(before.Select(s => s.User), after.Select(s => s.User));
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Revision, after[i].Revision);
            Assert.Equal(before[i].Vector.ToArray(), after[i].Vector.ToArray());
        }
    }

    [Fact]
    public async Task Context_pairs_adapt_users_in_an_overlay_and_only_queries_are_measured()
    {
        using var model = await TrainedAsync();
        var before = await SnapshotAsync(model.UserStates);
        var unseen = OpposingUsers.Generate(users: 6, pairsPerUser: 12, seed: 2, prefix: "n");

        var result = await RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { ContextPairs = 5 });

        var (_, queries) = PreferenceSplits.ContextAndQueries(unseen, 5);
        Assert.Equal(queries, result.Records);
        Assert.Equal(queries.Select(i => unseen.LineAt(i)), result.Lines);
        Assert.Equal(30, result.ContextRecords);
        Assert.Equal(42, result.Metrics.Count);
        Assert.Equal(42, result.Predictions.Count);
        Assert.Equal(6, result.Metrics.Users);
        Assert.Null(result.ContextSensitivity);

        // The users were adapted: a zero (cold-start) state would give p = 0.5 everywhere and accuracy 0.
        Assert.True(result.Metrics.Accuracy > 0.6, $"accuracy {result.Metrics.Accuracy}");
        Assert.Equal(["majority", "minority"], result.Metrics.PerGroup.Keys);

        await AssertUnchangedAsync(before, model.UserStates);
        Assert.Null(await model.UserStates.GetAsync(new UserId("n0")));
        Assert.Equal(1, model.Probe.ViewsCreated);
        Assert.Equal(1, model.Probe.ViewsDisposed);
    }

    [Fact]
    public async Task Seen_users_context_refines_the_stored_state_unless_told_to_replace_it()
    {
        using var model = await TrainedAsync();
        var before = await SnapshotAsync(model.UserStates);

        // Reverse the seen users' taste: one flipped context pair only moves a 20-pair state a little.
        var seen = OpposingUsers.Generate(users: 6, pairsPerUser: 6, seed: 3, prefix: "s").WithLabelsFlipped();
        var refined = await RewardModelEvaluator.EvaluateAsync(model, seen, new EvaluationOptions { ContextPairs = 1 });
        var replaced = await RewardModelEvaluator.EvaluateAsync(model, seen, new EvaluationOptions { ContextPairs = 1, ReplaceStoredStates = true });

        Assert.True(refined.Metrics.Accuracy < 0.3, $"refined accuracy {refined.Metrics.Accuracy}");
        Assert.True(replaced.Metrics.Accuracy > refined.Metrics.Accuracy + 0.2, $"replaced {replaced.Metrics.Accuracy} vs refined {refined.Metrics.Accuracy}");
        await AssertUnchangedAsync(before, model.UserStates);
    }

    [Fact]
    public async Task Without_context_every_record_is_scored_with_stored_states()
    {
        using var model = await TrainedAsync();
        var seen = OpposingUsers.Generate(users: 6, pairsPerUser: 5, seed: 4, prefix: "s");

        var result = await new PluralisticContext().Evaluation.EvaluateAsync(model, seen);

        Assert.Equal(Enumerable.Range(0, seen.Count), result.Records);
        Assert.Equal(seen.Count, result.Metrics.Count);
        Assert.Equal(0, result.ContextRecords);
        Assert.True(result.Metrics.Accuracy > 0.8, $"accuracy {result.Metrics.Accuracy}");
        Assert.Equal(0, model.Probe.ViewsCreated);
    }

    [Fact]
    public async Task Unknown_users_fail_unless_cold_start_is_allowed()
    {
        using var model = await TrainedAsync();
        var unseen = OpposingUsers.Generate(users: 3, pairsPerUser: 4, seed: 5, prefix: "n");

        await Assert.ThrowsAsync<UnknownUserException>(() => RewardModelEvaluator.EvaluateAsync(model, unseen));

        var cold = await RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { AllowColdStart = true });
        Assert.Equal(unseen.Count, cold.Metrics.Count);
        Assert.Equal(0.0, cold.Metrics.Accuracy);
        Assert.Equal(Math.Log(2), cold.Metrics.LogLoss, 1e-9);
    }

    [Fact]
    public async Task Flipping_the_context_flips_a_personalised_model_and_not_a_user_blind_one()
    {
        var unseen = OpposingUsers.Generate(users: 6, pairsPerUser: 10, seed: 6, prefix: "n");
        var options = new EvaluationOptions { ContextPairs = 4, MeasureContextSensitivity = true };

        using var personal = await TrainedAsync();
        var before = await SnapshotAsync(personal.UserStates);
        var sensitive = await RewardModelEvaluator.EvaluateAsync(personal, unseen, options);
        Assert.True(sensitive.ContextSensitivity >= 0.99, $"sensitivity {sensitive.ContextSensitivity}");
        Assert.Equal(2, personal.Probe.ViewsCreated);
        Assert.Equal(2, personal.Probe.ViewsDisposed);
        await AssertUnchangedAsync(before, personal.UserStates);

        using var blind = await TrainedAsync(ignoreUsers: true);
        var insensitive = await RewardModelEvaluator.EvaluateAsync(blind, unseen, options);
        Assert.Equal(0.0, insensitive.ContextSensitivity);
    }

    [Fact]
    public async Task Invalid_requests_are_clear_errors()
    {
        using var model = await TrainedAsync();
        var unseen = OpposingUsers.Generate(users: 3, pairsPerUser: 4, seed: 7, prefix: "n");

        await Assert.ThrowsAsync<ArgumentException>(() => RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { MeasureContextSensitivity = true }));
        await Assert.ThrowsAsync<ArgumentException>(() => RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { ContextPairs = -1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { ContextPairs = 4 }));
        await Assert.ThrowsAsync<ArgumentException>(() => RewardModelEvaluator.FewShotCurveAsync(model, unseen, new FewShotOptions { ContextSizes = [4] }));
        await Assert.ThrowsAsync<ArgumentException>(() => RewardModelEvaluator.FewShotCurveAsync(model, unseen, new FewShotOptions { ContextSizes = [] }));

        using var storeless = new StorelessModel(model);
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => RewardModelEvaluator.EvaluateAsync(storeless, unseen, new EvaluationOptions { ContextPairs = 1 }));
    }

    [Fact]
    public async Task Cancellation_stops_the_evaluation_and_disposes_the_view()
    {
        using var model = await TrainedAsync();
        var before = await SnapshotAsync(model.UserStates);
        var unseen = OpposingUsers.Generate(users: 3, pairsPerUser: 6, seed: 8, prefix: "n");
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { ContextPairs = 2 }, cancellation.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RewardModelEvaluator.FewShotCurveAsync(model, unseen, new FewShotOptions { ContextSizes = [1, 2] }, cancellation.Token));

        Assert.Equal(model.Probe.ViewsCreated, model.Probe.ViewsDisposed);
        await AssertUnchangedAsync(before, model.UserStates);
    }

    [Fact]
    public async Task Few_shot_curve_measures_every_k_on_the_same_queries()
    {
        using var model = await TrainedAsync();
        var before = await SnapshotAsync(model.UserStates);

        // User n0 has too few records for the largest k (20) and is skipped.
        var unseen = OpposingUsers.Generate(users: 12, pairsPerUser: 26, seed: 9, prefix: "n", pairsOf: u => u == 0 ? 15 : 26);

        var curve = await new PluralisticContext().Evaluation.FewShotCurveAsync(model, unseen);

        Assert.Equal([1, 2, 5, 10, 20], curve.Points.Select(p => p.ContextPairs));
        Assert.Equal(11, curve.Users);
        Assert.Equal(1, curve.SkippedUsers);

        var byUser = unseen.RecordsByUser();
        var expectedQueries = Enumerable.Range(1, 11).SelectMany(u => byUser[u][20..]).Order().ToArray();
        Assert.Equal(expectedQueries, curve.QueryRecords);
        Assert.Equal(expectedQueries.Select(i => unseen.LineAt(i)), curve.QueryLines);
        Assert.All(curve.Points, p => Assert.Equal(66, p.Count));

        // The model saw exactly the same queries for every k, and k pairs of each measured user as context.
        var scored = model.Probe.ScoredLines.ToArray();
        Assert.Equal(5, scored.Length);
        Assert.All(scored, lines => Assert.Equal(curve.QueryLines, lines));
        Assert.Equal([11, 22, 55, 110, 220], model.Probe.AdaptedRecordCounts.Skip(1));

        // More context helps this model: its state is the mean preference difference.
        Assert.True(curve.Points[^1].Accuracy > curve.Points[0].Accuracy, $"k=1: {curve.Points[0].Accuracy}, k=20: {curve.Points[^1].Accuracy}");
        Assert.True(curve.Points[^1].Accuracy > 0.8, $"k=20: {curve.Points[^1].Accuracy}");

        await AssertUnchangedAsync(before, model.UserStates);
        Assert.Equal(5, model.Probe.ViewsCreated);
        Assert.Equal(5, model.Probe.ViewsDisposed);
    }

    [Fact]
    public async Task Few_shot_states_come_from_k_pairs_alone_even_for_stored_users()
    {
        using var model = await TrainedAsync();
        var seen = OpposingUsers.Generate(users: 6, pairsPerUser: 8, seed: 10, prefix: "s");

        var curve = await RewardModelEvaluator.FewShotCurveAsync(model, seen, new FewShotOptions { ContextSizes = [3, 0] });

        // k = 0 is the cold-start prediction (zero state: p = 0.5), not the stored state.
        Assert.Equal([0, 3], curve.Points.Select(p => p.ContextPairs));
        Assert.Equal(0.0, curve.Points[0].Accuracy);
        Assert.Equal(Math.Log(2), curve.Points[0].LogLoss, 1e-9);
        Assert.True(curve.Points[1].Accuracy > 0.6, $"k=3: {curve.Points[1].Accuracy}");
        Assert.NotNull(await model.UserStates.GetAsync(new UserId("s0")));
    }

    [Fact]
    public async Task A_query_start_scores_the_few_shot_curves_queries_at_any_k_and_keeps_their_predictions()
    {
        using var model = await TrainedAsync();
        var unseen = OpposingUsers.Generate(users: 6, pairsPerUser: 14, seed: 11, prefix: "n");
        var curve = await RewardModelEvaluator.FewShotCurveAsync(model, unseen, new FewShotOptions { ContextSizes = [2, 8] });

        var atTwo = await RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { ContextPairs = 2, QueryStart = 8, MeasureContextSensitivity = true });

        // Records 2..7 of each user are neither context nor queries: the queries are the curve's, and so is the figure.
        Assert.Equal(curve.QueryRecords, atTwo.Records);
        Assert.Equal(12, atTwo.ContextRecords);
        Assert.Equal((curve.Points[0].Metrics.Accuracy, curve.Points[0].Metrics.LogLoss), (atTwo.Metrics.Accuracy, atTwo.Metrics.LogLoss));
        Assert.Equal(curve.Points[0].Predictions!.Probabilities(), atTwo.Predictions.Probabilities());
        Assert.NotNull(atTwo.ContextSensitivity);

        // A curve's point reads as an evaluation of its queries, so two curves compare by PairedComparison.
        var point = curve.EvaluationAt(8);
        Assert.Equal(curve.QueryRecords, point.Records);
        Assert.Equal(curve.Points[1].Metrics.Accuracy, PreferenceMetrics.Compute(point.ScoredData, point.Predictions).Accuracy);
        Assert.Equal(0, PairedComparison.Compare(point, curve.EvaluationAt(8)).Difference);
        Assert.Throws<ArgumentException>(() => curve.EvaluationAt(5));
        await Assert.ThrowsAsync<ArgumentException>(() => RewardModelEvaluator.EvaluateAsync(model, unseen, new EvaluationOptions { ContextPairs = 4, QueryStart = 3 }));
    }
}
