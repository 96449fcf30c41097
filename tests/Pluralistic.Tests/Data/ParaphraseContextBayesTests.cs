using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

public partial class SyntheticParaphrasePopulationTests
{
    [Fact]
    public void The_bayes_ceiling_starts_at_the_best_single_reward_rises_with_context_and_stays_below_the_oracle()
    {
        var population = Population.Value;
        var none = population.ContextBayes(0, priorSamples: 4000);
        var ten = population.ContextBayes(10, priorSamples: 4000);
        var unseen = population.Oracle.Splits["test_unseen"];

        // Without context the posterior is the prior: the best a population-level reward can do.
        Assert.Equal(population.TestUnseen.Count, none.Queries);
        Assert.InRange(none.Accuracy, unseen.BestSingleRewardAccuracy - 0.03, unseen.BestSingleRewardAccuracy + 0.03);
        Assert.InRange(none.PerPairKind[SyntheticParaphrasePopulation.ContestedPair], 0.4, 0.65);

        // Ten pairs mostly tell a user's side; the users' own hidden rewards still know more.
        Assert.Equal(population.TestUnseen.Count - (10 * Options.UnseenUsers), ten.Queries);
        Assert.True(ten.PerPairKind[SyntheticParaphrasePopulation.ContestedPair] > none.PerPairKind[SyntheticParaphrasePopulation.ContestedPair] + 0.2);
        Assert.True(ten.Accuracy > none.Accuracy + 0.1);
        Assert.True(ten.Accuracy <= unseen.OracleAccuracy + 0.02, $"{ten.Accuracy} vs oracle {unseen.OracleAccuracy}");
        Assert.Equal(SyntheticParaphrasePopulation.GroupNames.Order(), ten.PerGroup.Keys.Order());
        Assert.Equal(ten.PerGroup.Values.Min(), ten.WorstGroup.Accuracy);
    }

    [Fact]
    public async Task Computing_the_bayes_ceiling_is_deterministic_and_leaves_the_population_unchanged()
    {
        var options = Options with { SeenUsers = 12, UnseenUsers = 6, TrainPairsPerUser = 10 };
        using var before = new TempDirectory();
        using var after = new TempDirectory();
        var population = SyntheticParaphrasePopulation.Generate(options);
        await population.WriteAsync(before.Path);
        var first = population.ContextBayes(5, priorSamples: 500);
        var second = SyntheticParaphrasePopulation.Generate(options).ContextBayes(5, priorSamples: 500);
        await population.WriteAsync(after.Path);

        Assert.Equal(first.Accuracy, second.Accuracy);
        Assert.Equal(first.PerGroup, second.PerGroup);
        Assert.Equal(File.ReadAllBytes(before.File("test_unseen.jsonl")), File.ReadAllBytes(after.File("test_unseen.jsonl")));
        Assert.Throws<ArgumentOutOfRangeException>(() => population.ContextBayes(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => population.ContextBayes(5, priorSamples: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => population.ContextBayes(options.UnseenPairsPerUser));
    }

    [Fact]
    public void Contested_phrasings_give_both_sides_of_every_contested_topic_from_disjoint_pools()
    {
        var train = SyntheticParaphrasePopulation.ContestedPhrasings(test: false);
        var test = SyntheticParaphrasePopulation.ContestedPhrasings(test: true);
        Assert.Equal(SyntheticParaphrasePopulation.ContestedTopics, train.Select(t => t.Topic));
        Assert.Equal(SyntheticParaphrasePopulation.ContestedTopics, test.Select(t => t.Topic));
        foreach (var (a, b) in train.Zip(test))
        {
            Assert.NotEmpty(a.FirstSide);
            Assert.NotEmpty(a.SecondSide);
            Assert.Empty(a.FirstSide.Intersect(b.FirstSide));
            Assert.Empty(a.FirstSide.Intersect(a.SecondSide));
        }
    }
}
