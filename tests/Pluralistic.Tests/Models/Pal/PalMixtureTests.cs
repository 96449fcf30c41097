using Pluralistic.Evaluation;
using Pluralistic.Models.Pal;

namespace Pluralistic.Tests.Models.Pal;

/// <summary>
/// On prompt-dependent preferences PAL-B's prompt-conditioned ideal points beat PAL-A's fixed ones and the baseline
/// (measured at this scale: seen users PAL-B 0.71, PAL-A 0.60, BT 0.66; unseen users with 10 context pairs PAL-B 0.74,
/// BT 0.67).
/// </summary>
public class PalMixtureTests(PalMixtureFixture fixture) : IClassFixture<PalMixtureFixture>
{
    [Fact]
    public async Task Pal_b_beats_pal_a_and_the_baseline_on_seen_users()
    {
        var b = (await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.TestSeen)).Metrics.Accuracy;
        var a = (await RewardModelEvaluator.EvaluateAsync(fixture.VariantA, fixture.TestSeen)).Metrics.Accuracy;
        var bt = (await RewardModelEvaluator.EvaluateAsync(fixture.Baseline!, fixture.TestSeen)).Metrics.Accuracy;

        Assert.True(b >= a + 0.05, $"PAL-B {b:F3} vs PAL-A {a:F3}");
        Assert.True(b >= bt + 0.025, $"PAL-B {b:F3} vs BT {bt:F3}");
    }

    [Fact]
    public async Task Pal_b_beats_the_baseline_on_unseen_users_with_ten_context_pairs()
    {
        var options = new EvaluationOptions { ContextPairs = 10 };
        var b = (await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.Unseen, options)).Metrics.Accuracy;
        var bt = (await RewardModelEvaluator.EvaluateAsync(fixture.Baseline!, fixture.Unseen, options)).Metrics.Accuracy;

        Assert.True(b >= bt + 0.03, $"PAL-B {b:F3} vs BT {bt:F3}");
    }

    [Fact]
    public void The_default_k_follows_the_data_shape()
    {
        Assert.Equal(PalOptions.DefaultPromptPrototypes, fixture.Model.Prototypes);
        Assert.Equal(PalOptions.DefaultPromptPrototypes, fixture.Model.Info.Options.GetProperty("prototypes").GetInt32());
    }
}
