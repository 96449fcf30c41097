using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Models.Pal;

/// <summary>
/// On prompt-dependent preferences PAL-B's prompt-conditioned ideal points beat PAL-A's fixed ones and the baseline
/// (measured at this scale: PAL-B 0.65, PAL-A 0.60, BT 0.56).
/// </summary>
public class PalMixtureTests(PalMixtureFixture fixture) : IClassFixture<PalMixtureFixture>
{
    [Fact]
    public async Task Pal_b_beats_pal_a_and_the_baseline_on_seen_users()
    {
        var b = (await RewardModelEvaluator.EvaluateAsync(fixture.Model, fixture.TestSeen)).Metrics.Accuracy;
        var a = (await RewardModelEvaluator.EvaluateAsync(fixture.VariantA, fixture.TestSeen)).Metrics.Accuracy;
        var bt = (await RewardModelEvaluator.EvaluateAsync(fixture.Baseline!, fixture.TestSeen)).Metrics.Accuracy;

        Assert.True(b >= a + 0.02, $"PAL-B {b:F3} vs PAL-A {a:F3}");
        Assert.True(b >= bt + 0.05, $"PAL-B {b:F3} vs BT {bt:F3}");
    }

    [Fact]
    public void The_default_k_follows_the_data_shape()
    {
        Assert.Equal(8, fixture.Model.Prototypes);
        Assert.Equal(8, fixture.Model.Info.Options.GetProperty("prototypes").GetInt32());
    }
}
