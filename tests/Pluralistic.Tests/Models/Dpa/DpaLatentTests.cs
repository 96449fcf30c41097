using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Models.Dpa;

/// <summary>DPA on data without ratings: K latent objectives learned from pairs alone, users as directions in them.</summary>
public class DpaLatentTests(DpaLatentFixture fixture) : IClassFixture<DpaLatentFixture>
{
    [Fact]
    public void Without_ratings_the_objectives_are_latent_and_named_by_position()
    {
        var objectives = fixture.Model.GetRequiredService<IMultiObjectiveRewardModel>();
        Assert.True(objectives.HasLatentObjectives);
        Assert.Equal(Enumerable.Range(1, DpaLatentFixture.Options.Objectives).Select(i => $"latent_{i}"), objectives.ObjectiveNames);
        Assert.False(fixture.Model.Options.UseRatings);
    }

    [Fact]
    public async Task Latent_directions_beat_the_baseline_on_seen_users_by_five_points()
    {
        var model = await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.Seen);
        var baseline = await RewardModelEvaluator.EvaluateAsync(fixture.Baseline, fixture.Seen);

        Assert.True(model.Metrics.Accuracy >= baseline.Metrics.Accuracy + 0.05, $"seen: DPA {model.Metrics.Accuracy:F3} vs BT {baseline.Metrics.Accuracy:F3}");
    }

    [Fact]
    public async Task Latent_directions_adapt_to_unseen_users_and_reject_named_objectives_of_rated_data()
    {
        var result = await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.Unseen, new EvaluationOptions { ContextPairs = 10, MeasureContextSensitivity = true });
        Assert.True(result.ContextSensitivity > 0.3, $"label-flip sensitivity {result.ContextSensitivity:F3}");

        var responses = Support.Populations.SmallGroups.SampleResponses(3, seed: 1);
        var ex = await Assert.ThrowsAsync<UnknownObjectiveException>(() => fixture.Model.ScoreAsync(
            [fixture.Seen.Users[0]], responses, new ScoringOptions { Direction = new Dictionary<string, double> { ["helpfulness"] = 1 } }));
        Assert.Contains("latent_1", ex.Message, StringComparison.Ordinal);
        var explicitLatent = await fixture.Model.ScoreAsync(
            [fixture.Seen.Users[0]], responses, new ScoringOptions { Direction = new Dictionary<string, double> { ["latent_2"] = 1 } });
        Assert.Equal(3, explicitLatent.ResponseCount);
    }
}
