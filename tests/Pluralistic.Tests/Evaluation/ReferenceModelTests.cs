using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Evaluation;

public class ReferenceModelTests
{
    /// <summary>Writes a generated ratings population, loads it as the CLI does and splits it by user.</summary>
    private static async Task<(UserSplit Split, List<double> TrueMargins)> SplitAsync(RatedItems population, UserSplitOptions? options = null)
    {
        using var directory = new TempDirectory();
        var path = directory.File("ratings.jsonl");
        var margins = await population.WriteAsync(path);
        var (data, items) = await RatedItems.LoadAsync(path);
        return (UserSplit.Create("ratings", data, items, options), margins);
    }

    /// <summary>The hidden utility's accuracy on the same records: the most any reference can reach, up to noise.</summary>
    private static double Oracle(PreferenceDataset data, List<double> margins) =>
        Enumerable.Range(0, data.Count).Average(i => margins[(int)data.LineAt(i)] > 0 ? 1.0 : 0.0);

    [Fact]
    public async Task When_users_share_the_item_utilities_the_item_mean_and_knn_reach_the_hidden_utility()
    {
        var (split, margins) = await SplitAsync(new RatedItems { Users = 60, Shared = 1.5, Personal = 0, Seed = 3 });
        var population = split.Population;
        var oracle = Oracle(population.TestSeen, margins);

        foreach (var reference in new ReferenceModel[] { new ItemMeanReference(), new UserKnnReference() })
        {
            var fitted = reference.Fit(population.Train, population.TrainItems);
            var seen = await ReferenceEvaluator.EvaluateAsync(fitted, population.TestSeen, population.TestSeenItems);
            Assert.True(seen.Metrics.Accuracy > 0.8, $"{reference.Name}: {seen.Metrics.Accuracy:F3}");
            Assert.True(seen.Metrics.Accuracy >= oracle - 0.05, $"{reference.Name}: {seen.Metrics.Accuracy:F3}, hidden utility {oracle:F3}");
        }

        // Without ratings, the item's win rate in the training pairs stands in for its mean rating.
        var items = population.TrainItems!;
        var idsOnly = new PreferenceItems(
            Enumerable.Range(0, items.Count).Select(items.ChosenItem).ToArray(),
            Enumerable.Range(0, items.Count).Select(items.RejectedItem).ToArray());
        Assert.False(idsOnly.HasRatings);
        var winRates = new ItemMeanReference().Fit(population.Train, idsOnly);
        var result = await ReferenceEvaluator.EvaluateAsync(winRates, population.TestSeen, population.TestSeenItems);
        Assert.True(result.Metrics.Accuracy >= oracle - 0.08, $"win rates: {result.Metrics.Accuracy:F3}, hidden utility {oracle:F3}");
    }

    [Fact]
    public async Task On_opposing_linear_users_the_per_user_linear_model_and_knn_beat_bt_through_the_same_evaluation()
    {
        var (split, _) = await SplitAsync(new RatedItems { Users = 40, Shared = 0, Personal = 2.5, Seed = 5 }, new UserSplitOptions { ContextSizes = [2, 10] });
        var run = await PopulationExperiment.RunAsync(split.Population, new ExperimentOptions
        {
            Models = ["bt"],
            References = [new UserLinearReference(), new UserKnnReference()],
            Device = "cpu",
            ContextPairs = 10,
            FewShotContextSizes = split.Summary.ContextSizes,
            ConfigureTrainer = o => o with { Epochs = 8, Threads = 1 },
        });

        Assert.Equal(["bt", "user-linear", "user-knn"], run.Rows.Select(r => r.Model));
        Assert.Equal([false, true, true], run.Rows.Select(r => r.IsReference));
        Assert.Empty(run.UnavailableReferences);
        var (bt, linear, knn) = (run.Rows[0], run.Rows[1], run.Rows[2]);
        Assert.InRange(bt.Seen.Accuracy, 0.3, 0.7);

        // Margins over BT come from the same pairs: the paired difference is the accuracy difference.
        Assert.Equal(linear.Seen.Accuracy - bt.Seen.Accuracy, linear.SeenOverBaseline!.Difference, 12);
        Assert.True(linear.SeenOverBaseline.Difference > 0.25 && linear.SeenOverBaseline.Difference > 4 * linear.SeenOverBaseline.StandardError, $"seen {linear.SeenOverBaseline.ToPoints()}");
        Assert.True(linear.UnseenOverBaseline!.Difference > 0.15, $"unseen k=10 {linear.UnseenOverBaseline.ToPoints()}");
        Assert.True(knn.SeenOverBaseline!.Difference > 0.15, $"knn seen {knn.SeenOverBaseline.ToPoints()}");

        // Unseen users are read from their context: flipping it flips most predictions, and more context helps.
        Assert.True(linear.ContextSensitivity > 0.5, $"context sensitivity {linear.ContextSensitivity}");
        Assert.Equal([2, 10], linear.FewShot!.Points.Select(p => p.ContextPairs));
        Assert.True(linear.FewShot.Points[1].Accuracy > linear.FewShot.Points[0].Accuracy, $"k=2 {linear.FewShot.Points[0].Accuracy}, k=10 {linear.FewShot.Points[1].Accuracy}");
        Assert.Equal(linear.Unseen.Accuracy, linear.FewShot.Points[1].Accuracy, 12);
        Assert.Equal(linear.UnseenOverBaseline.Difference, linear.FewShotOverBaseline!.Single(m => m.ContextPairs == 10).OverBaseline.Difference, 12);
    }

    [Fact]
    public void References_that_need_item_ids_say_why_and_refuse_to_fit_without_them()
    {
        var data = OpposingUsers.Generate(users: 6, pairsPerUser: 10, seed: 1);
        foreach (var reference in new ReferenceModel[] { new ItemMeanReference(), new UserKnnReference() })
        {
            Assert.Contains("name no items", reference.NotApplicableReason(data, null), StringComparison.Ordinal);
            var error = Assert.Throws<InvalidOperationException>(() => reference.Fit(data, null));
            Assert.Contains(reference.Name, error.Message, StringComparison.Ordinal);
        }

        Assert.Null(new UserLinearReference().NotApplicableReason(data, null));
        Assert.Equal(["item-mean", "user-knn", "user-linear"], ReferenceModels.Names);
        Assert.Throws<ArgumentException>(() => ReferenceModels.Get("svd"));
    }

    [Fact]
    public async Task The_per_user_linear_model_gives_a_user_without_pairs_the_population_reward_and_reads_a_few_shot_user_from_context()
    {
        var data = OpposingUsers.Generate(users: 12, pairsPerUser: 20, seed: 2);
        var fitted = new UserLinearReference().Fit(data, null);

        // Two strangers asked about the same pairs: without pairs of their own, both get the population's answer.
        var pairs = OpposingUsers.Generate(users: 1, pairsPerUser: 30, seed: 3);
        var queries = Twice(pairs, 10, 30);
        var cold = fitted.Predict(queries, null).Probabilities();
        Assert.Equal(cold[..20], cold[20..]);

        // Given opposite context pairs, they part ways.
        var context = Twice(pairs, 0, 10);
        var flipped = context.Select(Enumerable.Range(0, 10).ToArray()).WithLabelsFlipped();
        var builder = new PreferenceDatasetBuilder(OpposingUsers.Dimension);
        for (var i = 0; i < 10; i++)
        {
            builder.Add(new UserId("a"), context.ChosenVector(i), context.RejectedVector(i));
            builder.Add(new UserId("b"), flipped.ChosenVector(i), flipped.RejectedVector(i));
        }

        var warm = fitted.Predict(queries, null, builder.Build(), null).Probabilities();
        Assert.True(Enumerable.Range(0, 20).Count(i => (warm[i] > 0.5) != (warm[i + 20] > 0.5)) >= 15, "opposite contexts give opposite predictions");

        var adapted = await ReferenceEvaluator.EvaluateAsync(fitted, queries, null, new EvaluationOptions { ContextPairs = 3 });
        Assert.Equal(6, adapted.ContextRecords);
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => ReferenceEvaluator.EvaluateAsync(fitted, queries, null, new EvaluationOptions { Direction = new Dictionary<string, double> { ["x"] = 1 } }));
        Assert.Throws<DimensionMismatchException>(() => fitted.Predict(new PreferenceDatasetBuilder(3).Add(new UserId("x"), new float[3], new float[3]).Build(), null));
    }

    [Fact]
    public async Task The_group_linear_reference_reads_the_group_label_and_personalises_users_it_never_saw()
    {
        // Two groups with opposite linear tastes plus a shared one: the population reward gets only the shared part.
        var train = LinearGroups(users: 40, pairsPerUser: 30, seed: 1, prefix: "seen");
        var unseen = LinearGroups(users: 20, pairsPerUser: 20, seed: 2, prefix: "new");
        var reference = new GroupLinearReference();
        Assert.Null(reference.NotApplicableReason(train, null));
        var fitted = reference.Fit(train, null);
        var ceiling = await ReferenceEvaluator.EvaluateAsync(fitted, unseen, null);

        // The same records stripped of their group labels get the population's linear reward.
        var unlabelled = WithoutGroups(unseen);
        Assert.Contains("no group labels", reference.NotApplicableReason(unlabelled, null), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => reference.Fit(unlabelled, null));
        var populationOnly = await ReferenceEvaluator.EvaluateAsync(fitted, unlabelled, null);

        // Unseen users, no context at all: only the group label can personalise them.
        Assert.True(ceiling.Metrics.Accuracy > 0.8, $"group-linear {ceiling.Metrics.Accuracy:F3}");
        Assert.True(ceiling.Metrics.Accuracy > populationOnly.Metrics.Accuracy + 0.15, $"group-linear {ceiling.Metrics.Accuracy:F3}, population {populationOnly.Metrics.Accuracy:F3}");
    }

    /// <summary>Users of group "plus" reward +d, of group "minus" -d, everyone +s (d and s orthogonal, 6-d vectors).</summary>
    private static PreferenceDataset LinearGroups(int users, int pairsPerUser, int seed, string prefix)
    {
        var random = new Random(seed);
        var builder = new PreferenceDatasetBuilder(6);
        for (var u = 0; u < users; u++)
        {
            var group = u % 2 == 0 ? "plus" : "minus";
            for (var k = 0; k < pairsPerUser; k++)
            {
                var a = Enumerable.Range(0, 6).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                var b = Enumerable.Range(0, 6).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                var margin = (4 * (group == "plus" ? 1 : -1) * (a[0] - b[0])) + (2 * (a[1] - b[1]));
                var aWins = random.NextDouble() < 1 / (1 + Math.Exp(-margin));
                builder.Add(new UserId($"{prefix}-{u}"), aWins ? a : b, aWins ? b : a, extras: new PreferenceRecordExtras { Group = group });
            }
        }

        return builder.Build();
    }

    private static PreferenceDataset WithoutGroups(PreferenceDataset data)
    {
        var builder = new PreferenceDatasetBuilder(data.ResponseDimension);
        for (var i = 0; i < data.Count; i++)
        {
            builder.Add(data.UserAt(i), data.ChosenVector(i), data.RejectedVector(i));
        }

        return builder.Build();
    }

    /// <summary>Records [from, to) of <paramref name="pairs"/> for user "a", then the same for user "b".</summary>
    private static PreferenceDataset Twice(PreferenceDataset pairs, int from, int to)
    {
        var builder = new PreferenceDatasetBuilder(pairs.ResponseDimension);
        foreach (var user in new[] { "a", "b" })
        {
            for (var i = from; i < to; i++)
            {
                builder.Add(new UserId(user), pairs.ChosenVector(i), pairs.RejectedVector(i));
            }
        }

        return builder.Build();
    }
}
