using Pluralistic.Data;
using Pluralistic.Models;
using Pluralistic.Text;

namespace Pluralistic.Runs;

/// <summary>
/// Trains a small text model on the synthetic text population and saves it as a run — for samples and servers that
/// should work with one command, before the user brings data of their own.
/// </summary>
public static class TextDemoRun
{
    /// <summary>The first personalised kind of the built-in registry (PAL: few-shot new users, small states).</summary>
    public static string DefaultKind => RewardModelKinds.BuiltIn.All.First(k => k.IsPersonalized).Name;

    /// <summary>Trains and saves a run (overwriting one already there).</summary>
    /// <param name="directory">Where to write it.</param>
    /// <param name="kind">The model kind, or <see langword="null"/> for <see cref="DefaultKind"/>.</param>
    /// <param name="seed">The population and training seed.</param>
    /// <param name="textEmbedder">The text embedder (a name of <see cref="TextEmbedderKinds"/>), or <see langword="null"/> for the sentence encoder.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The population the model was trained on (its unseen users are fresh users to simulate).</returns>
    public static async Task<SyntheticTextPopulation> TrainAsync(string directory, string? kind = null, int seed = 0, string? textEmbedder = null, CancellationToken cancellationToken = default)
    {
        var modelKind = RewardModelKinds.BuiltIn.Get(kind ?? DefaultKind);
        var embedderKind = TextEmbedderKinds.Get(textEmbedder ?? TextEmbedderKinds.DefaultName);
        var population = SyntheticTextPopulation.Generate(new SyntheticPopulationOptions { Seed = seed, SeenUsers = 80, UnseenUsers = 20, TrainPairsPerUser = 30 });
        using var embedder = new MemoryCachingEmbeddingGenerator(embedderKind.Create(TextEmbedderKinds.DistinctTexts(population.Train)));
        var data = await SyntheticTextPopulation.ToDatasetAsync(population.Train, embedder, cancellationToken).ConfigureAwait(false);
        using var model = modelKind.Train(modelKind.CreateDefaultOptions() with { Device = "cpu", Seed = seed }, data, cancellationToken: cancellationToken);
        await RunDirectory.SaveAsync(model, directory, overwrite: true, embedder, cancellationToken).ConfigureAwait(false);
        return population;
    }
}
