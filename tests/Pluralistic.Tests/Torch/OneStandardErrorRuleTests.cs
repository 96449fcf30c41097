using Pluralistic.Torch;

namespace Pluralistic.Tests.Torch;

public class OneStandardErrorRuleTests
{
    [Fact]
    public void A_flexible_candidate_that_pays_clearly_for_every_user_is_chosen()
    {
        // 20 users x 5 pairs; the flexible candidate is 0.1 lower on every pair, give or take a little.
        var users = Users(20, 5);
        var simple = Losses(users.Length, i => 0.7);
        var flexible = Losses(users.Length, i => 0.6 + (0.01 * (i % 3)));

        Assert.Equal(1, OneStandardErrorRule.Choose([simple, flexible], users));
    }

    [Fact]
    public void A_flexible_candidate_within_one_standard_error_of_the_best_loses_to_the_simpler_one()
    {
        // The flexible candidate is better on average by 0.01 per pair, but users disagree by +-0.3.
        var users = Users(20, 5);
        var simple = Losses(users.Length, i => 0.7);
        var flexible = Losses(users.Length, i => 0.69 + (users[i] % 2 == 0 ? 0.3 : -0.3));

        Assert.Equal(0, OneStandardErrorRule.Choose([simple, flexible], users));
    }

    [Fact]
    public void A_users_pairs_are_one_piece_of_evidence_not_many()
    {
        // 10 users x 50 pairs: five users gain 0.1 on every pair with the flexible candidate, five lose 0.08. Read as
        // 500 independent pairs the mean gain of 0.01 would be clear; clustered by user it is five users against five.
        var users = Users(10, 50);
        var simple = Losses(users.Length, i => 0.7);
        var flexible = Losses(users.Length, i => users[i] < 5 ? 0.6 : 0.78);

        Assert.Equal(0, OneStandardErrorRule.Choose([simple, flexible], users));

        // The same pairs with every user holding both kinds: every user gains alike, which is clear.
        var mixed = Enumerable.Range(0, users.Length).Select(i => i % 10).ToArray();
        Assert.Equal(1, OneStandardErrorRule.Choose([simple, flexible], mixed));
    }

    [Fact]
    public void The_first_candidate_within_reach_of_the_best_wins_not_the_closest()
    {
        // Best: the third (0.600 per pair); the second is 0.015 worse with a clustered error of about 0.023, the
        // fourth only 0.005 worse, but the second comes first.
        var users = Users(30, 4);
        var candidates = new[]
        {
            Losses(users.Length, i => 0.9),
            Losses(users.Length, i => 0.615 + (users[i] % 2 == 0 ? 0.1 : -0.1)),
            Losses(users.Length, i => 0.60 + (users[i] % 3 == 0 ? 0.1 : -0.05)),
            Losses(users.Length, i => 0.605),
        };

        Assert.Equal(1, OneStandardErrorRule.Choose(candidates, users));
    }

    [Fact]
    public void Pairs_and_user_sums_choose_alike()
    {
        var users = Users(25, 6);
        var random = new Random(3);
        var candidates = Enumerable.Range(0, 4).Select(c => Losses(users.Length, i => 0.7 - (0.004 * c) + (0.2 * random.NextDouble()))).ToArray();
        var sums = candidates.Select(l => Enumerable.Range(0, 25).Select(u => l.Where((_, i) => users[i] == u).Sum()).ToArray()).ToArray();
        var pairs = Enumerable.Repeat(6, 25).ToArray();

        Assert.Equal(OneStandardErrorRule.Choose(candidates, users), OneStandardErrorRule.ChooseByUser(sums, pairs));
    }

    [Fact]
    public void Users_without_held_out_pairs_count_for_nothing_and_one_user_alone_keeps_the_simplest()
    {
        var simple = new[] { 7.0, 0, 3.5 };
        var flexible = new[] { 5.0, 0, 2.5 };

        Assert.Equal(0, OneStandardErrorRule.ChooseByUser([simple, flexible], [10, 0, 0]));
        Assert.Equal(1, OneStandardErrorRule.ChooseByUser([simple, flexible], [10, 0, 5]));
    }

    [Fact]
    public void Candidates_of_different_lengths_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => OneStandardErrorRule.Choose([[0.5, 0.5], [0.5]], [0, 1]));
        Assert.Contains("1 pair losses for 2 pairs", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OneStandardErrorRule.ChooseByUser([[0.5, 0.5]], [1, 1, 1]));
    }

    private static int[] Users(int users, int pairsEach) => Enumerable.Range(0, users * pairsEach).Select(i => i / pairsEach).ToArray();

    private static double[] Losses(int pairs, Func<int, double> loss) => Enumerable.Range(0, pairs).Select(loss).ToArray();
}
