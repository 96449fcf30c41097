namespace Pluralistic.Tests.Models.Fspo;

/// <summary>The claims of FSPO at test scale on a population of three groups.</summary>
public class FspoGroupsTests(FspoGroupsFixture fixture) : IClassFixture<FspoGroupsFixture>
{
    [Fact]
    public void Fspo_beats_bradley_terry_on_unseen_users_with_ten_context_pairs()
    {
        var fspo = fixture.FewShot[10].Metrics.Accuracy;
        var bt = fixture.BaselineUnseen.Metrics.Accuracy;
        Assert.True(fspo > bt + 0.03, $"FSPO {fspo:F3} vs BT {bt:F3} on unseen users after 10 context pairs");
    }

    [Fact]
    public void More_context_pairs_give_higher_accuracy()
    {
        // One model serves every k; reading more of the user's pairs must help.
        var curve = FspoFixture.Shots.Select(k => fixture.FewShot[k].Metrics.Accuracy).ToArray();
        var text = string.Join(", ", FspoFixture.Shots.Zip(curve, (k, a) => $"k={k}: {a:F3}"));
        Assert.True(curve[^1] > curve[0] + 0.02, text);
        Assert.True(curve[^1] >= curve[^2] - 0.01, text);
    }

    [Fact]
    public void Flipping_the_context_labels_flips_predictions()
    {
        // Bradley-Terry ignores the context entirely; FSPO must read it.
        Assert.Equal(0, fixture.BaselineUnseen.ContextSensitivity);
        Assert.True(fixture.FewShot[10].ContextSensitivity > 0.25, $"context sensitivity {fixture.FewShot[10].ContextSensitivity:F3}");
    }
}

/// <summary>The claims of FSPO at test scale on a 10:1 population whose minority opposes the majority on contested pairs.</summary>
public class FspoMinorityTests(FspoMinorityFixture fixture) : IClassFixture<FspoMinorityFixture>
{
    [Fact]
    public void Flipping_the_context_labels_flips_most_predictions()
    {
        Assert.True(fixture.FewShot[10].ContextSensitivity >= 0.7, $"context sensitivity {fixture.FewShot[10].ContextSensitivity:F3}");
    }

    [Fact]
    public void Unseen_users_with_context_beat_bradley_terry()
    {
        var fspo = fixture.FewShot[10].Metrics.Accuracy;
        var bt = fixture.BaselineUnseen.Metrics.Accuracy;
        Assert.True(fspo > bt + 0.015, $"FSPO {fspo:F3} vs BT {bt:F3} on unseen users after 10 context pairs");
    }
}
