using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Runs;
using Pluralistic.Tests.Evaluation;
using Pluralistic.Tests.Support;
using Pluralistic.Text;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Runs;

/// <summary><see cref="Run"/>: one open gives the manifest, the model and the run's text embedder.</summary>
public class RunTests(TextEmbedderRuns runs) : IClassFixture<TextEmbedderRuns>
{
    private const string Prompt = "Which pet should I get?";
    private static readonly string[] Candidates = ["A cat: calm and independent.", "A dog: loyal and playful.", "No idea, go away."];

    [Fact]
    public async Task A_text_run_opens_with_its_embedder_and_ranks_text_without_wiring()
    {
        using var run = await Run.OpenAsync(runs.Hashed, new RunOpenOptions { Device = "cpu" });
        Assert.Equal("hashed", run.Manifest.TextEmbedder!.Name);
        Assert.Equal(run.Manifest.TextEmbedder, run.Model.Metadata.TextEmbedder);
        var torch = run.Model.GetService<TorchUserRewardModel>();
        Assert.Same(run.Model, torch);
        Assert.Equal(run.Manifest.Weights.Sha256, torch!.Fingerprint);
        var embedder = run.TextEmbedder!;
        Assert.NotNull(embedder.GetService<HashedNgramEmbeddingGenerator>());
        Assert.NotNull(embedder.GetService<MemoryCachingEmbeddingGenerator>());
        Assert.Same(run.TextEmbedder, run.TextModel.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(run, run.TextModel.GetService<Run>());

        var user = runs.Population.SeenUsers[0];
        var ranked = await run.TextModel.RankAsync(user, Prompt, Candidates);
        Assert.Equal(3, ranked.Count);

        // The same rewards as embedding with the run's embedder and scoring the vectors.
        var direct = await run.Model.ScoreAsync(user, await run.TextModel.EmbedAsync(Prompt, Candidates));
        Assert.All(ranked, c => Assert.Equal(direct[c.Index], c.Reward));
    }

    [Fact]
    public async Task Opening_reads_the_manifest_once_and_the_embedder_never_reads_it_again()
    {
        var copy = runs.Copy(runs.Hashed, "read-once");
        using (var counter = Checkpoint.CountManifestReads())
        {
            using var run = await Run.OpenAsync(copy, new RunOpenOptions { Device = "cpu" });
            Assert.Equal(1, counter.Count);

            // With the manifest gone, the embedder still comes from what was read at open, and text still ranks.
            File.Delete(Path.Combine(copy, Checkpoint.ManifestFile));
            Assert.Equal(3, (await run.TextModel.RankAsync(runs.Population.SeenUsers[0], Prompt, Candidates)).Count);
            Assert.Equal(1, counter.Count);
        }

        // The counter sees every read: model and embedder assembled by hand read the manifest twice.
        var again = runs.Copy(runs.Hashed, "read-twice");
        using (var counter = Checkpoint.CountManifestReads())
        {
            using var model = RunDirectory.Open(again, new RunOpenOptions { Device = "cpu" });
            using var embedder = RunDirectory.LoadEmbeddingGenerator(again);
            Assert.Equal(2, counter.Count);
        }
    }

    [Fact]
    public async Task A_vector_run_opens_without_an_embedder()
    {
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        using (var trained = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 1, Seed = 2 }).Fit(population.ToDataset(population.Train)))
        {
            await RunDirectory.SaveAsync(trained, dir.Path);
        }

        using var run = await Run.OpenAsync(dir.Path, new RunOpenOptions { Device = "cpu" });
        Assert.Null(run.Manifest.TextEmbedder);
        Assert.Null(run.TextEmbedder);
        Assert.Null(run.TextModel.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(run.Model, run.TextModel.GetService<TorchUserRewardModel>());
        var test = population.ToDataset(population.TestSeen);
        Assert.Equal((await run.Model.ScorePairsAsync(test)).RewardChosen.ToArray(), (await run.TextModel.ScorePairsAsync(test)).RewardChosen.ToArray());
    }

    [Fact]
    public async Task A_text_run_scores_vectors_without_building_its_embedder()
    {
        // A run whose embedder this SDK cannot rebuild still opens and scores vectors: the embedder is only built when
        // asked for, and asking is the typed error.
        var run = runs.Copy(runs.MiniLm, "embedder-not-built");
        var manifestPath = Path.Combine(run, Checkpoint.ManifestFile);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
        manifest["text_embedder"]!["name"] = "acme-embeddings";
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString());

        using var opened = await Run.OpenAsync(run, new RunOpenOptions { Device = "cpu" });
        var scores = await opened.Model.ScorePairsAsync(runs.MiniLmTrain);
        Assert.Equal(runs.MiniLmTrain.Count, scores.RewardChosen.ToArray().Length);
        Assert.Contains("acme-embeddings", Assert.Throws<UnknownTextEmbedderException>(() => opened.TextEmbedder).Message, StringComparison.Ordinal);
        Assert.Throws<UnknownTextEmbedderException>(() => opened.TextModel);
    }

    [Fact]
    public async Task SaveAsync_saves_a_model_inside_middleware_with_the_embedder_it_carries()
    {
        using var run = await Run.OpenAsync(runs.Hashed, new RunOpenOptions { Device = "cpu" });
        using var pipeline = new UserRewardModelBuilder(run.TextModel)
            .UseLogging(NullLoggerFactory.Instance)
            .UseMetrics()
            .UseUserStateCache()
            .Build();
        Assert.Same(run, pipeline.GetService<Run>());

        using var dir = new TempDirectory();
        var saved = Path.Combine(dir.Path, "resaved");
        var manifest = await RunDirectory.SaveAsync(pipeline, saved);
        Assert.Equal(run.Manifest.Weights.Sha256, manifest.Weights.Sha256);
        Assert.Equal(run.Manifest.TextEmbedder! with { Probe = null }, manifest.TextEmbedder! with { Probe = null });
        Assert.Equal(run.Manifest.TextEmbedder.Probe!.Values, manifest.TextEmbedder.Probe!.Values);
        Assert.True(File.Exists(Path.Combine(saved, RunDirectory.EmbeddingGeneratorFile)));

        using var reopened = await Run.OpenAsync(saved, new RunOpenOptions { Device = "cpu" });
        Assert.Equal(
            await run.Model.GetRequiredService<IUserStateStoreAccessor>().UserStates.CountAsync(),
            await reopened.Model.GetRequiredService<IUserStateStoreAccessor>().UserStates.CountAsync());
        var user = runs.Population.SeenUsers[1];
        var before = await pipeline.RankAsync(user, Prompt, Candidates);
        var after = await reopened.TextModel.RankAsync(user, Prompt, Candidates);
        Assert.Equal(before.Select(c => (c.Index, c.Reward)), after.Select(c => (c.Index, c.Reward)));
    }

    [Fact]
    public async Task SaveAsync_of_a_vector_model_after_Use_works()
    {
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        var trained = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 1, Seed = 5 }).Fit(population.ToDataset(population.Train));
        using var wrapped = new UserRewardModelBuilder(trained).Use(inner => new LoggingUserRewardModel(inner, NullLogger.Instance)).Build();
        var manifest = await RunDirectory.SaveAsync(wrapped, dir.Path);
        Assert.Null(manifest.TextEmbedder);
        using var reopened = await Run.OpenAsync(dir.Path, new RunOpenOptions { Device = "cpu" });
        Assert.Equal(trained.Fingerprint, reopened.Model.Metadata.Fingerprint);
    }

    [Fact]
    public async Task A_model_that_is_not_savable_is_a_typed_error_naming_its_kind_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "never");
        using var fake = new MeanDifferenceModel(OpposingUsers.Dimension, new InMemoryUserStateStore());
        var error = await Assert.ThrowsAsync<ModelNotSavableException>(() => RunDirectory.SaveAsync(fake, target));
        Assert.Equal("fake-mean", error.ModelKind);
        Assert.Contains("'fake-mean'", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));

        // Middleware around it changes nothing: the kind is still named.
        using var wrapped = new UserRewardModelBuilder(new MeanDifferenceModel(OpposingUsers.Dimension, new InMemoryUserStateStore())).UseLogging(NullLoggerFactory.Instance).Build();
        Assert.Equal("fake-mean", (await Assert.ThrowsAsync<ModelNotSavableException>(() => RunDirectory.SaveAsync(wrapped, target))).ModelKind);
    }

    [Fact]
    public async Task An_embedder_no_kind_can_save_is_a_typed_error_before_anything_is_written()
    {
        using var run = await Run.OpenAsync(runs.Hashed, new RunOpenOptions { Device = "cpu" });
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "never");
        using var acme = new AcmeEmbeddingGenerator();
        var error = await Assert.ThrowsAsync<UnknownTextEmbedderException>(() => RunDirectory.SaveAsync(run.Model, target, embeddingGenerator: acme));
        Assert.Equal("acme", error.Name);
        Assert.Contains("TextEmbedderKinds.Register", error.Message, StringComparison.Ordinal);
        Assert.False(acme.Called);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task ReadOnly_has_one_default_for_runs_and_dependency_injection_and_it_is_read_only()
    {
        Assert.True(RunOpenOptions.DefaultReadOnly);
        Assert.Equal(RunOpenOptions.DefaultReadOnly, new RunOpenOptions().ReadOnly);
        Assert.Equal(RunOpenOptions.DefaultReadOnly, new RunModelOptions().ReadOnly);
        Assert.Equal(new RunOpenOptions().EmbeddingCacheCapacity, new RunModelOptions().EmbeddingCacheCapacity);

        // A run registered without options is read-only: feedback is refused and the run stays as it was.
        var copy = runs.Copy(runs.Hashed, "di-default");
        var before = Directory.EnumerateFiles(copy).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddUserRewardModel(copy);
        await using (var provider = services.BuildServiceProvider())
        {
            var model = provider.GetRequiredService<IUserRewardModel>();
            Assert.Equal("hashed", model.GetRequiredService<Run>().Manifest.TextEmbedder!.Name);
            var error = await Assert.ThrowsAsync<UserStateStoreException>(() => model.RecordFeedbackAsync(new UserId("newcomer"), Prompt, Candidates[1], Candidates[2]));
            Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        }

        foreach (var (name, bytes) in before)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(copy, name)));
        }
    }

    /// <summary>An embedder of a provider no registered kind knows.</summary>
    private sealed class AcmeEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly EmbeddingGeneratorMetadata _metadata = new("acme", defaultModelId: "acme-embed-1", defaultModelDimensions: 512);

        public bool Called { get; private set; }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            Called = true;
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[512]))));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
