using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Evaluation;

public class FewShotOracleTests
{
    // Two kinds of user on a one-dimensional response: "up" users prefer larger x, "down" users smaller x.
    private static readonly UserId[] Population = [new("up-1"), new("up-2"), new("down-1")];

    private static double Reward(UserId user, ReadOnlySpan<float> response, ReadOnlySpan<float> prompt) =>
        (user.Value!.StartsWith("up", StringComparison.Ordinal) ? 10 : -10) * response[0];

    /// <summary>Each new user labels 20 random pairs by its own kind's reward.</summary>
    private static PreferenceDataset NewUsers()
    {
        var random = new Random(3);
        var builder = new PreferenceDatasetBuilder(1);
        foreach (var (user, sign) in new[] { ("new-up", 1f), ("new-down", -1f) })
        {
            for (var i = 0; i < 20; i++)
            {
                var a = (float)random.NextDouble();
                var b = (float)random.NextDouble();
                var (chosen, rejected) = sign * (a - b) > 0 ? (a, b) : (b, a);
                builder.Add(new UserId(user), [chosen], [rejected]);
            }
        }

        return builder.Build();
    }

    [Fact]
    public void Context_pairs_identify_the_kind_of_a_new_user()
    {
        var accuracy = FewShotOracle.BayesOverPopulation(NewUsers(), 10, Population, Reward);
        Assert.True(accuracy > 0.95, $"accuracy {accuracy:F3}");
    }

    [Fact]
    public void Without_context_the_prior_decides()
    {
        // Two "up" hypotheses against one "down": with no context every query goes the majority's way, right for the
        // new "up" user's 20 queries and wrong for the new "down" user's 20.
        var majority = FewShotOracle.BayesOverPopulation(NewUsers(), 0, Population, Reward);
        Assert.Equal(0.5, majority, 12);

        // With one context pair each the "down" user already outweighs the prior.
        Assert.True(FewShotOracle.BayesOverPopulation(NewUsers(), 1, Population, Reward) > 0.9);
    }

    [Fact]
    public void An_empty_population_is_refused() =>
        Assert.Throws<ArgumentException>(() => FewShotOracle.BayesOverPopulation(NewUsers(), 10, [], Reward));
}
