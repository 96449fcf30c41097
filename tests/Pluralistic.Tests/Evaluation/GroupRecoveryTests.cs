using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Evaluation;

public class GroupRecoveryTests
{
    [Fact]
    public void Identical_partitions_score_one_whatever_the_labels()
    {
        Assert.Equal(1.0, GroupRecovery.AdjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 12);
        Assert.Equal(1.0, GroupRecovery.AdjustedRandIndex([0, 0, 1, 1, 2], ["b", "b", "a", "a", "c"]), 12);
    }

    [Fact]
    public void Hand_computed_values()
    {
        // Contingency {2 | 1 | 1} x {2, 2}: index = C(2,2) = 1; rows 1, columns 2, pairs C(4,2) = 6;
        // expected = 1 * 2 / 6 = 1/3, maximum = (1 + 2) / 2 = 3/2; ARI = (1 - 1/3) / (3/2 - 1/3) = 4/7.
        Assert.Equal(4.0 / 7, GroupRecovery.AdjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]), 12);

        // Every cell holds one item: index 0, rows 2, columns 2, expected 2/3, maximum 2; ARI = -2/3 / (4/3) = -1/2.
        Assert.Equal(-0.5, GroupRecovery.AdjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), 12);

        // One cluster against singletons: index 0, rows 6, columns 0, expected 0, maximum 3; ARI 0.
        Assert.Equal(0.0, GroupRecovery.AdjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]), 12);

        // {2,1 | 1,2} x {2 | 2 | 2}: index 2, rows 6, columns 3, pairs 15, expected 18/15, maximum 4.5; ARI = 0.8 / 3.3.
        Assert.Equal(0.8 / 3.3, GroupRecovery.AdjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 12);
    }

    [Fact]
    public void Symmetric_and_trivial_cases_are_defined()
    {
        int[] a = [0, 0, 1, 1, 1, 2, 2, 0];
        int[] b = [1, 1, 1, 0, 0, 2, 2, 2];
        Assert.Equal(GroupRecovery.AdjustedRandIndex(a, b), GroupRecovery.AdjustedRandIndex(b, a), 12);
        Assert.Equal(1.0, GroupRecovery.AdjustedRandIndex([3, 3, 3], [7, 7, 7]), 12);
        Assert.Throws<ArgumentException>(() => GroupRecovery.AdjustedRandIndex([0, 1], [0]));
        Assert.Throws<ArgumentException>(() => GroupRecovery.AdjustedRandIndex(Array.Empty<int>(), Array.Empty<int>()));
    }
}
