using Pluralistic.Models.Dpa;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Models.Dpa;

public class DpaTensorLeakTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Training_scoring_and_adapting_leave_no_live_tensors_behind(bool ratings)
    {
        var population = ratings ? DpaSmall.Directions : Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);
        var unseen = population.ToDataset(population.TestUnseen);
        var options = new DpaOptions { Device = "cpu", Epochs = 2, EarlyStoppingPatience = 0, FineTune = ratings, DirectionIterations = 20 };

        await TensorLeaks.AssertNoneLeftAsync(
            () => new DpaTrainer(options with { Epochs = 1 }).Fit(train),
            () => new DpaTrainer(options).Fit(train),
            async model =>
            {
                await model.ScorePairsAsync(test);
                await model.ScoreAsync([.. test.Users.Take(5)], population.SampleResponses(64, seed: 1));
                await model.AdaptAsync(unseen);
                var objectives = model.GetRequiredService<IMultiObjectiveRewardModel>();
                await objectives.ScoreObjectivesAsync(population.SampleResponses(16, seed: 2));
                await objectives.ScoreDirectionAsync(population.SampleResponses(16, seed: 2), objectives.PopulationDirection);
            });
    }
}
