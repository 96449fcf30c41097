using Pluralistic.Models.BradleyTerry;
using Pluralistic.Tests.Support;
using TorchSharp;

namespace Pluralistic.Tests.Torch;

public class TensorLeakTests
{
    [Fact]
    public async Task Training_epochs_and_scoring_batches_leave_no_live_tensors_behind()
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);

        // Warm up libtorch once so lazily created globals do not count.
        new BradleyTerryTrainer(new BradleyTerryOptions { Epochs = 1, Device = "cpu" }).Fit(train).Dispose();

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var model = new BradleyTerryTrainer(new BradleyTerryOptions { Epochs = 2, Device = "cpu", EarlyStoppingPatience = 0 }).Fit(train);
        var afterTraining = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // Scoring runs synchronously here (in-memory store), so the thread-static statistics see all of it.
        await model.ScorePairsAsync(test);
        await model.ScoreAsync([.. test.Users.Take(5)], population.SampleResponses(64, seed: 1));
        var afterScoring = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Dispose();
        var afterDispose = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(afterTraining, afterScoring);
        Assert.Equal(before, afterDispose);
    }
}
