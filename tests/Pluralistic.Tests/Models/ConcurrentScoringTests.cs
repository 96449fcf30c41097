using System.Diagnostics;
using Pluralistic.Models;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Models;

/// <summary>
/// Scoring from many threads while collections run constantly: the pattern of a busy server, and the one that makes
/// TorchSharp 0.107 read freed memory when a scoring path passes numbers as implicit Scalars (docs/architecture.md,
/// "Threads and TorchSharp's Scalars"). Every result must match the single-threaded one exactly, and so must a model
/// trained while collections run (training passes far more numbers to libtorch than scoring: the optimiser alone
/// several per parameter per step).
/// </summary>
public class ConcurrentScoringTests
{
    public static TheoryData<string> Kinds => [.. RewardModelKinds.BuiltIn.Names];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Scoring_from_four_threads_under_constant_collections_matches_single_threaded_scores(string kind)
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var model = RewardModelKinds.BuiltIn.Get(kind);
        using var trained = model.Train(model.CreateDefaultOptions() with { Seed = 1, Threads = 1, Epochs = 3 }, train);
        var users = train.Users.Take(20).ToList();
        var responses = population.SampleResponses(64, seed: 1);
        var reference = (await trained.ScoreAsync(users, responses)).Values.ToArray();

        using var stop = new CancellationTokenSource();
        var collector = CollectUntil(stop.Token);
        // Each scorer runs for 1.5 s from when it gets a thread, and at least 10 calls: under back-to-back forced
        // collections a queued task can wait that long for a thread, and a shared clock then left it nothing to do.
        var scorers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            for (var own = 0; own < 10 || clock.Elapsed < TimeSpan.FromSeconds(1.5); own++)
            {
                var scores = (await trained.ScoreAsync(users, responses)).Values.ToArray();
                Assert.Equal(reference, scores);
            }
        })).ToList();
        try
        {
            await Task.WhenAll(scorers);
        }
        finally
        {
            await stop.CancelAsync();
            await collector;
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Training_under_constant_collections_gives_the_model_a_calm_run_gives(string kind)
    {
        var population = Populations.SmallGroups;
        var train = population.ToDataset(population.Train);
        var model = RewardModelKinds.BuiltIn.Get(kind);
        var options = model.CreateDefaultOptions() with { Seed = 2, Threads = 1, Epochs = 4 };
        var users = train.Users.Take(20).ToList();
        var responses = population.SampleResponses(64, seed: 2);
        float[] reference;
        using (var calm = model.Train(options, train))
        {
            reference = (await calm.ScoreAsync(users, responses)).Values.ToArray();
        }

        using var stop = new CancellationTokenSource();
        var collector = CollectUntil(stop.Token);
        float[] stressed;
        try
        {
            using var trained = await Task.Run(() => model.Train(options, train));
            stressed = (await trained.ScoreAsync(users, responses)).Values.ToArray();
        }
        finally
        {
            await stop.CancelAsync();
            await collector;
        }

        Assert.Equal(reference, stressed);
    }

    /// <summary>Forces collections and runs finalizers non-stop until cancelled.</summary>
    private static Task CollectUntil(CancellationToken token) => Task.Run(() =>
    {
        while (!token.IsCancellationRequested)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }, CancellationToken.None);
}
