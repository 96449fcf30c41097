using Pluralistic.Models.Pal;
using Pluralistic.Tests.Support;
using TorchSharp;

namespace Pluralistic.Tests.Models.Pal;

public class PalTensorLeakTests
{
    [Theory]
    [InlineData(PalVariant.A)]
    [InlineData(PalVariant.B)]
    public async Task Training_scoring_and_adapting_leave_no_live_tensors_behind(PalVariant variant)
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);
        var unseen = population.ToDataset(population.TestUnseen);
        var options = new PalOptions { Variant = variant, Prototypes = 4, Epochs = 2, Device = "cpu", Threads = 1 };

        // Warm up libtorch once so lazily created globals do not count.
        new PalTrainer(options with { Epochs = 1 }).Fit(train).Dispose();

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var model = new PalTrainer(options).Fit(train);
        var afterTraining = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // The in-memory store completes synchronously, so the thread-static statistics see all of it.
        await model.ScorePairsAsync(test);
        await model.ScoreAsync([.. test.Users.Take(5)], population.SampleResponses(64, seed: 1));
        await model.AdaptAsync(unseen, new AdaptationOptions { Persist = false });
        var afterUse = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Dispose();
        var afterDispose = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(afterTraining, afterUse);
        Assert.Equal(before, afterDispose);
    }
}
