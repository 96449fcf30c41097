using Pluralistic.Models.Pal;
using Pluralistic.Tests.Support;

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

        await TensorLeaks.AssertNoneLeftAsync(
            () => new PalTrainer(options with { Epochs = 1 }).Fit(train),
            () => new PalTrainer(options).Fit(train),
            async model =>
            {
                await model.ScorePairsAsync(test);
                await model.ScoreAsync([.. test.Users.Take(5)], population.SampleResponses(64, seed: 1));
                await model.AdaptAsync(unseen, new AdaptationOptions { Persist = false });
            });
    }
}
