using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Models.Pal;

/// <summary>
/// PAL's claims on the groups preset at small scale, against the Bradley-Terry baseline trained on the same pairs.
/// Margins are about half of what was measured (seen: +13 points, unseen with 10 context pairs: +6), well beyond
/// what a model that ignores its users could reach.
/// </summary>
public class PalAccuracyTests(PalGroupsFixture fixture) : IClassFixture<PalGroupsFixture>
{
    [Fact]
    public async Task Seen_users_are_predicted_well_above_the_baseline()
    {
        var pal = await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.TestSeen);
        var baseline = await RewardModelEvaluator.EvaluateAsync(fixture.Baseline!, fixture.TestSeen);

        Assert.True(pal.Metrics.Accuracy >= baseline.Metrics.Accuracy + 0.06, $"PAL {pal.Metrics.Accuracy:F3} vs BT {baseline.Metrics.Accuracy:F3}");

        // A third of the room between the baseline and the generator's oracle, at least.
        var oracle = fixture.Population.Oracle.Splits["test_seen"].AccuracyOn(pal.Lines);
        var gapClosed = pal.Metrics.WithReference(oracle.Oracle, baseline.Metrics.Accuracy).GapClosed;
        Assert.True(gapClosed > 0.3, $"gap closed {gapClosed:F3}");
    }

    [Fact]
    public async Task Unseen_users_with_ten_context_pairs_are_predicted_above_the_baseline()
    {
        var options = new EvaluationOptions { ContextPairs = 10 };
        var pal = await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.Unseen, options);
        var baseline = await RewardModelEvaluator.EvaluateAsync(fixture.Baseline!, fixture.Unseen, options);

        Assert.True(pal.Metrics.Accuracy >= baseline.Metrics.Accuracy + 0.03, $"PAL {pal.Metrics.Accuracy:F3} vs BT {baseline.Metrics.Accuracy:F3}");
    }

    [Fact]
    public async Task The_minority_group_is_not_sacrificed()
    {
        var pal = (await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.TestSeen)).Metrics.PerGroup;
        var baseline = (await RewardModelEvaluator.EvaluateAsync(fixture.Baseline!, fixture.TestSeen)).Metrics.PerGroup;

        // C is the 15% minority, A the 55% majority.
        Assert.True(pal["C"].Accuracy >= pal["A"].Accuracy - 0.05, $"minority {pal["C"].Accuracy:F3} vs majority {pal["A"].Accuracy:F3}");
        Assert.True(pal["C"].Accuracy >= baseline["C"].Accuracy + 0.08, $"minority: PAL {pal["C"].Accuracy:F3} vs BT {baseline["C"].Accuracy:F3}");
    }

    [Fact]
    public async Task Flipping_a_new_users_context_labels_flips_most_of_their_predictions()
    {
        var result = await RewardModelEvaluator.EvaluateAsync(
            fixture.Model, fixture.Unseen, new EvaluationOptions { ContextPairs = 10, MeasureContextSensitivity = true });

        Assert.True(result.ContextSensitivity > 0.4, $"context sensitivity {result.ContextSensitivity:F3}");
    }

    [Fact]
    public async Task More_context_pairs_give_better_predictions_for_new_users()
    {
        var curve = await RewardModelEvaluator.FewShotCurveAsync(fixture.Model, fixture.Unseen, new FewShotOptions { ContextSizes = [0, 10, 20] });
        var accuracy = curve.Points.ToDictionary(p => p.ContextPairs, p => p.Metrics.Accuracy);

        Assert.True(accuracy[10] >= accuracy[0] + 0.02, $"k=0 {accuracy[0]:F3}, k=10 {accuracy[10]:F3}");
        Assert.True(accuracy[20] >= accuracy[0] + 0.03, $"k=0 {accuracy[0]:F3}, k=20 {accuracy[20]:F3}");
    }
}
