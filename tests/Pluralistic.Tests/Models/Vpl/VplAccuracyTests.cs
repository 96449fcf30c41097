using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Models.Vpl;

/// <summary>The classes that share one VPL model trained on the groups population.</summary>
[CollectionDefinition(Name)]
public sealed class VplGroupsShared : ICollectionFixture<VplGroupsFixture>
{
    public const string Name = "VPL on groups";
}

/// <summary>The claims of VPL at test scale on a population of three groups.</summary>
[Collection(VplGroupsShared.Name)]
public class VplGroupsTests(VplGroupsFixture fixture)
{
    [Fact]
    public void Vpl_beats_bradley_terry_on_seen_users()
    {
        var vpl = fixture.Seen.Metrics.Accuracy;
        var bt = fixture.BaselineSeen.Metrics.Accuracy;
        Assert.True(vpl > bt + 0.04, $"VPL {vpl:F3} vs BT {bt:F3} on seen users");
    }

    [Fact]
    public void Vpl_beats_bradley_terry_on_unseen_users_with_ten_context_pairs()
    {
        var vpl = fixture.Unseen.Metrics.Accuracy;
        var bt = fixture.BaselineUnseen.Metrics.Accuracy;
        Assert.True(vpl > bt + 0.03, $"VPL {vpl:F3} vs BT {bt:F3} on unseen users after 10 context pairs");
    }

    [Fact]
    public void Flipping_the_context_labels_flips_predictions()
    {
        // Bradley-Terry ignores the context entirely; VPL must read it.
        Assert.Equal(0, fixture.BaselineUnseen.ContextSensitivity);
        Assert.True(fixture.Unseen.ContextSensitivity > 0.25, $"context sensitivity {fixture.Unseen.ContextSensitivity:F3}");
    }

    [Fact]
    public async Task Latent_units_are_active_after_training()
    {
        var report = await fixture.Model.MeasureActiveUnitsAsync(fixture.Train.Users);
        Assert.True(report.ActiveUnits > 0, $"active units {report.ActiveUnits} of {report.LatentSize}");
        Assert.Equal(fixture.Model.LatentSize, report.UnitVariances.Count);
        Assert.Equal(report.ActiveUnits, fixture.Model.Info.Metrics["active_latent_units"]);
    }

    [Fact]
    public async Task Chosen_questions_teach_the_model_faster_than_random_ones()
    {
        var curve = await ActiveLearningExperiment.RunAsync(
            fixture.Model, fixture.TestUnseen, new ActiveLearningOptions { PoolSize = 20, Budget = 10, RandomRepeats = 3 });

        Assert.Equal(11, curve.Points.Count);
        Assert.Equal(fixture.TestUnseen.Users.Count, curve.Users);
        Assert.Equal(curve.Points[0].ActiveAccuracy, curve.Points[0].RandomAccuracy);
        var gain = curve.Points.Skip(1).Average(p => p.ActiveAccuracy - p.RandomAccuracy);
        Assert.True(gain > 0.005, $"mean gain of chosen over random questions {gain:F4}");
        Assert.True(curve.QuestionsToMatchRandomBudget <= 7, $"chosen questions needed to match 10 random ones: {curve.QuestionsToMatchRandomBudget}");
    }
}

/// <summary>The claims of VPL at test scale on a 10:1 population whose minority opposes the majority on contested pairs.</summary>
public class VplMinorityTests(VplMinorityFixture fixture) : IClassFixture<VplMinorityFixture>
{
    [Fact]
    public void Flipping_the_context_labels_flips_most_predictions()
    {
        Assert.True(fixture.Unseen.ContextSensitivity > 0.5, $"context sensitivity {fixture.Unseen.ContextSensitivity:F3}");
    }

    [Fact]
    public void The_minority_is_served_far_better_than_by_bradley_terry()
    {
        var vpl = fixture.Seen.Metrics.PerGroup["minority"].Accuracy;
        var bt = fixture.BaselineSeen.Metrics.PerGroup["minority"].Accuracy;
        Assert.True(vpl > bt + 0.15, $"minority accuracy: VPL {vpl:F3} vs BT {bt:F3}");
    }

    [Fact]
    public void Unseen_users_with_context_beat_bradley_terry()
    {
        var vpl = fixture.Unseen.Metrics.Accuracy;
        var bt = fixture.BaselineUnseen.Metrics.Accuracy;
        Assert.True(vpl > bt + 0.015, $"VPL {vpl:F3} vs BT {bt:F3} on unseen users after 10 context pairs");
    }

    [Fact]
    public void Latent_units_are_active_after_training() =>
        Assert.True(fixture.Model.Info.Metrics["active_latent_units"] > 0);
}
