using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;

namespace Pluralistic.Tests.Models;

public class BradleyTerryTests
{
    [Fact]
    public async Task Mlp_head_learns_the_population_reward_on_the_groups_preset()
    {
        var population = SyntheticPopulation.Generate(new SyntheticPopulationOptions { Preset = "groups", Seed = 11, SeenUsers = 120 });
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);

        using var model = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 1, Device = "cpu" }).Fit(train);
        var predictions = await model.ScorePairsAsync(test);
        var accuracy = Enumerable.Range(0, predictions.Count).Average(i => predictions.ProbabilityChosen(i) > 0.5 ? 1.0 : 0.0);

        Assert.True(accuracy > 0.95 * population.Oracle.Splits["test_seen"].BestSingleRewardAccuracy, $"accuracy {accuracy:F3}");
    }
}
