using Pluralistic.Experiments;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Experiments;

public class AnchorWeightsTests
{
    private static PopulationAnchorInfo Anchor(double kappa, double? seenKappa = null, double? seenWeight = null) =>
        new() { HiddenSizes = [64], Kappa = kappa, SeenKappa = seenKappa, SeenWeight = seenWeight };

    [Fact]
    public void New_users_with_an_infinite_kappa_keep_none_of_their_own_reward()
    {
        var anchor = Anchor(double.PositiveInfinity, seenKappa: 2);
        Assert.Equal("none (kappa infinity)", AnchorWeights.NewUsers(anchor));
        Assert.True(AnchorWeights.NewUsersGetPopulationOnly(anchor));
        Assert.Equal("kappa 2", AnchorWeights.SeenUsers(anchor));
    }

    [Fact]
    public void Seen_users_are_described_by_their_own_weight_when_fitted_and_else_by_the_kappa_they_inherit()
    {
        Assert.Equal("kappa 0.5", AnchorWeights.NewUsers(Anchor(0.5)));
        Assert.False(AnchorWeights.NewUsersGetPopulationOnly(Anchor(4096)));
        Assert.Equal("weight 0.3", AnchorWeights.SeenUsers(Anchor(16, seenKappa: 2, seenWeight: 0.3)));
        Assert.Equal("kappa 16", AnchorWeights.SeenUsers(Anchor(16)));
        Assert.Equal("none (kappa infinity)", AnchorWeights.SeenUsers(Anchor(16, seenKappa: double.PositiveInfinity)));
    }
}
