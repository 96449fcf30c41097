namespace Pluralistic.Tests.Models.MaxMin;

public class GroupAggregationTests
{
    // Three candidates, two groups (normalised rewards): candidate 0 is the majority's favourite and the minority's
    // worst, candidate 1 is a compromise, candidate 2 is the minority's favourite.
    private static readonly GroupRewards Rewards = new(3, 2, raw: [2, -2, 0.5f, 0.5f, -1, 2], normalized: [2, -2, 0.5f, 0.5f, -1, 2]);

    [Fact]
    public void Utilitarian_is_the_weighted_mean_and_egalitarian_the_minimum()
    {
        var result = AggregatedRewards.Compute(Rewards, [9, 1], minimumGroupShare: 0.05);
        Assert.Equal([0.9, 0.1], result.GroupWeights);
        Assert.Equal((0.9 * 2) + (0.1 * -2), result.Utilitarian[0], 5);
        Assert.Equal((0.9 * -1) + (0.1 * 2), result.Utilitarian[2], 5);
        Assert.Equal([-2f, 0.5f, -1f], result.Egalitarian.ToArray());
        Assert.Equal(0, result.BestUtilitarian);
        Assert.Equal(1, result.BestEgalitarian);
        Assert.Equal(1, result.Best(RewardAggregation.Egalitarian));
        Assert.Equal(result.Utilitarian.ToArray(), result.Rewards(RewardAggregation.Utilitarian));
    }

    [Fact]
    public void Groups_below_the_minimum_share_do_not_enter_the_minimum()
    {
        var result = AggregatedRewards.Compute(Rewards, [0.97, 0.03], minimumGroupShare: 0.05);
        Assert.Equal([0], result.EgalitarianGroups);
        Assert.Equal(0, result.BestEgalitarian);

        var everyone = AggregatedRewards.Compute(Rewards, [0.97, 0.03], minimumGroupShare: 0);
        Assert.Equal([0, 1], everyone.EgalitarianGroups);
        Assert.Equal(1, everyone.BestEgalitarian);

        // No group reaches the share: every group with weight counts.
        Assert.Equal([0, 1], AggregatedRewards.Compute(Rewards, [0.5, 0.5], minimumGroupShare: 0.9).EgalitarianGroups);
    }

    [Fact]
    public void Invalid_weights_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => AggregatedRewards.Compute(Rewards, [1], 0.05));
        Assert.Throws<ArgumentException>(() => AggregatedRewards.Compute(Rewards, [1, -1], 0.05));
        Assert.Throws<ArgumentException>(() => AggregatedRewards.Compute(Rewards, [0, 0], 0.05));
        Assert.Throws<ArgumentException>(() => AggregatedRewards.Compute(Rewards, [double.NaN, 1], 0.05));
    }
}
