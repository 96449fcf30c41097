using Pluralistic.Data;
using Pluralistic.Models;
using Pluralistic.Runs;
using Pluralistic.Text;

namespace Pluralistic.Samples.RewardServer;

/// <summary>Trains a small text model on the synthetic text population, for running the server without a run of your own.</summary>
public static class DemoRun
{
    /// <summary>Personalised kinds in order of preference for the demo; the baseline when none is available.</summary>
    private static readonly string[] Preferred = ["pal", "vpl", "fspo", "maxmin", "dpa", "bt"];

    /// <summary>Trains and saves a run.</summary>
    /// <param name="directory">Where to write it.</param>
    /// <param name="kind">The model kind, or <see langword="null"/> for the first available of pal, vpl, fspo, maxmin, dpa, bt.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The run directory.</returns>
    public static async Task<string> TrainAsync(string directory, string? kind = null, CancellationToken cancellationToken = default)
    {
        var modelKind = RewardModelKinds.Get(kind ?? Preferred.First(RewardModelKinds.AvailableNames.Contains));
        var population = SyntheticTextPopulation.Generate(new SyntheticPopulationOptions { Seed = 0, SeenUsers = 80, UnseenUsers = 0, TrainPairsPerUser = 30 });
        using var embedder = HashedNgramEmbeddingGenerator.Fit(population.Train.SelectMany(r => new[] { r.Prompt!, r.Chosen!, r.Rejected! }), new HashedNgramOptions { Dimension = 256 });
        var data = await SyntheticTextPopulation.ToDatasetAsync(population.Train, embedder, cancellationToken).ConfigureAwait(false);
        using var model = modelKind.Train(modelKind.DefaultOptions!() with { Device = "cpu" }, data, cancellationToken: cancellationToken);
        await RunDirectory.SaveAsync(model, directory, overwrite: true, embedder, cancellationToken).ConfigureAwait(false);
        return directory;
    }
}
