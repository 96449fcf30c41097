using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Text;
using Pluralistic.Text.MiniLM;

namespace Pluralistic.Tests.Text;

/// <summary>The sentence encoder itself: the real model from its package, no stand-ins.</summary>
public class MiniLmEmbeddingTests
{
    private static readonly string[] Sentences =
    [
        "I would love to adopt a puppy this spring.",
        "Quarterly earnings beat analyst expectations.",
        "Bake the salmon with lemon, garlic and fresh dill for twenty minutes at two hundred degrees.",
        "No.",
        "Which laptop is best for a student on a tight budget who mostly writes essays?",
        "The train to Lyon leaves at seven.",
        string.Empty,
    ];

    [Fact]
    public async Task Paraphrases_land_closer_than_unrelated_sentences_and_vectors_are_unit_length()
    {
        using var generator = new MiniLmEmbeddingGenerator();
        var vectors = await Vectors(generator, [
            "I would love to adopt a puppy this spring.",
            "This spring I really want to get a young dog.",
            "Quarterly earnings beat analyst expectations.",
            "How do I fix a flat bicycle tyre?",
        ]);

        Assert.All(vectors, v => Assert.Equal(MiniLmEmbeddingGenerator.Dimension, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        var paraphrase = Cosine(vectors[0], vectors[1]);
        Assert.True(paraphrase > Cosine(vectors[0], vectors[2]) + 0.3, $"paraphrase {paraphrase:F2}, unrelated {Cosine(vectors[0], vectors[2]):F2}");
        Assert.True(paraphrase > Cosine(vectors[0], vectors[3]) + 0.3, $"paraphrase {paraphrase:F2}, unrelated {Cosine(vectors[0], vectors[3]):F2}");

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal(MiniLmEmbeddingGenerator.ProviderName, metadata.ProviderName);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        Assert.Matches(@"^\d+\.\d+\.\d+$", MiniLmEmbeddingGenerator.ModelVersion);
    }

    [Fact]
    public async Task Batched_vectors_match_one_by_one_and_repeat_exactly()
    {
        // Batches of 3 over texts of different lengths: several ONNX calls, each padded differently.
        using var generator = new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 3 });
        var batched = await Vectors(generator, Sentences);
        for (var i = 0; i < Sentences.Length; i++)
        {
            var alone = (await Vectors(generator, [Sentences[i]]))[0];
            Assert.True(MaxDifference(batched[i], alone) < 1e-5, $"text {i}: {MaxDifference(batched[i], alone):G3}");
        }

        Assert.Equal(batched, await Vectors(generator, Sentences));
        using var wholeBatch = new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 64 });
        var once = await Vectors(wholeBatch, Sentences);
        Assert.All(Enumerable.Range(0, Sentences.Length), i => Assert.True(MaxDifference(batched[i], once[i]) < 1e-5));
    }

    [Fact]
    public async Task Concurrent_calls_from_several_threads_give_the_same_vectors()
    {
        using var generator = new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 4 });
        var expected = await Vectors(generator, Sentences);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(t => Task.Run(async () =>
        {
            var mine = new List<float[][]>();
            for (var round = 0; round < 4; round++)
            {
                // Each thread its own order, so batches differ between threads.
                var rotated = Sentences.Skip(t % Sentences.Length).Concat(Sentences.Take(t % Sentences.Length)).ToArray();
                var vectors = await Vectors(generator, rotated);
                mine.Add(Enumerable.Range(0, Sentences.Length).Select(i => vectors[(i - (t % Sentences.Length) + Sentences.Length) % Sentences.Length]).ToArray());
            }

            return mine;
        })));

        foreach (var vectors in results.SelectMany(r => r))
        {
            for (var i = 0; i < Sentences.Length; i++)
            {
                Assert.True(MaxDifference(expected[i], vectors[i]) < 1e-5, $"text {i}: {MaxDifference(expected[i], vectors[i]):G3}");
            }
        }
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var generator = new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 1 });
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(Sentences, cancellationToken: cancelled.Token));

        // Hundreds of one-text batches: cancelling while they run stops the call instead of finishing it.
        var many = Enumerable.Range(0, 2_000).Select(i => $"Sentence number {i} about something else entirely.").ToArray();
        using var midway = new CancellationTokenSource();
        var call = Task.Run(() => generator.GenerateAsync(many, cancellationToken: midway.Token));
        await midway.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Empty_input_empty_text_and_null_text()
    {
        using var generator = new MiniLmEmbeddingGenerator();
        Assert.Empty(await generator.GenerateAsync([]));
        var empty = (await Vectors(generator, [string.Empty]))[0];
        Assert.Equal(1.0, Math.Sqrt(empty.Sum(x => (double)x * x)), 5);
        Assert.Throws<ArgumentException>(() => generator.Embed(["fine", null!]));
    }

    [Fact]
    public async Task Whitespace_of_any_kind_separates_words_and_long_texts_are_truncated_as_documented()
    {
        using var generator = new MiniLmEmbeddingGenerator();
        var vectors = await Vectors(generator, ["Sure!\nHere is\tthe plan.\r\nIt\nworks.", "Sure! Here is the plan. It works.", "Sure! Here isthe plan. Itworks."]);
        Assert.True(MaxDifference(vectors[0], vectors[1]) < 1e-5, "a line break or tab reads as a space");
        Assert.True(MaxDifference(vectors[0], vectors[2]) > 0.01, "and does not glue words together");

        // Past MaxTokens word pieces nothing counts: two long texts that differ only at the end embed alike.
        var words = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"word{i % 37}"));
        var truncated = await Vectors(generator, [words + " cats are wonderful", words + " the stock market crashed"]);
        Assert.True(MaxDifference(truncated[0], truncated[1]) < 1e-5);

        using var longer = new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxTokens = 512 });
        var tails = await Vectors(longer, ["short text " + "cats are wonderful", "short text " + "the stock market crashed"]);
        Assert.True(MaxDifference(tails[0], tails[1]) > 0.01);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxTokens = 513 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 0 }));
    }

    [Fact]
    public async Task The_service_registration_returns_a_builder_for_middleware_such_as_the_cache()
    {
        var services = new ServiceCollection();
        services.AddMiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 8 }).UseMemoryCache(capacity: 100);
        services.AddKeyedMiniLmEmbeddingGenerator("other");
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.IsType<MemoryCachingEmbeddingGenerator>(generator);
        Assert.Equal(8, generator.GetService<MiniLmEmbeddingGenerator>()!.Options.MaxBatchSize);
        Assert.Equal(MiniLmEmbeddingGenerator.ProviderName, generator.GetService<EmbeddingGeneratorMetadata>()!.ProviderName);
        Assert.IsType<MiniLmEmbeddingGenerator>(provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("other"));

        var first = await Vectors(generator, ["A cat.", "A dog."]);
        var again = await generator.GenerateAsync(["A dog."]);
        Assert.Equal(first[1], again[0].Vector.ToArray());
    }

    private static async Task<float[][]> Vectors(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<string> texts) =>
        (await generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray()).ToArray();

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
