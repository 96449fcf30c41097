using Pluralistic.Models.BradleyTerry;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Torch;

public class TensorLeakTests
{
    [Fact]
    public async Task Training_epochs_and_scoring_batches_leave_no_live_tensors_behind()
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);

        await TensorLeaks.AssertNoneLeftAsync(
            () => new BradleyTerryTrainer(new BradleyTerryOptions { Epochs = 1, Device = "cpu" }).Fit(train),
            () => new BradleyTerryTrainer(new BradleyTerryOptions { Epochs = 2, Device = "cpu", EarlyStoppingPatience = 0 }).Fit(train),
            async model =>
            {
                await model.ScorePairsAsync(test);
                await model.ScoreAsync([.. test.Users.Take(5)], population.SampleResponses(64, seed: 1));
            });
    }
}
