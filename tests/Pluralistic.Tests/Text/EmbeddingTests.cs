using Microsoft.Extensions.AI;
using Pluralistic.Data;
using Pluralistic.Tests.Support;
using Pluralistic.Text;

namespace Pluralistic.Tests.Text;

public class EmbeddingTests
{
    private static readonly string[] Corpus =
    [
        "Adopt a cat; cats are quiet and clean.",
        "Get a dog: loyal, playful and great for walks.",
        "Bake salmon with lemon and herbs.",
        "Whatever. Figure it out yourself.",
    ];

    [Fact]
    public void Embeddings_are_unit_length_deterministic_and_similar_for_similar_texts()
    {
        var generator = HashedNgramEmbeddingGenerator.Fit(Corpus, new HashedNgramOptions { Dimension = 256 });
        var cat = generator.Embed("Adopt a cat; cats are quiet.");
        var cat2 = generator.Embed("adopt a CAT, cats are quiet");
        var dog = generator.Embed("Get a dog: loyal and playful.");

        Assert.Equal(256, cat.Length);
        Assert.Equal(1.0, Math.Sqrt(cat.Sum(x => x * x)), 5);
        Assert.Equal(cat, HashedNgramEmbeddingGenerator.Fit(Corpus, new HashedNgramOptions { Dimension = 256 }).Embed("Adopt a cat; cats are quiet."));
        Assert.True(Cosine(cat, cat2) > Cosine(cat, dog) + 0.3, $"{Cosine(cat, cat2):F2} vs {Cosine(cat, dog):F2}");
        Assert.All(generator.Embed(string.Empty), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Rare_words_weigh_more_than_common_ones()
    {
        var generator = HashedNgramEmbeddingGenerator.Fit(Corpus.Concat(Enumerable.Repeat("a a a the and", 20)));
        var unfitted = HashedNgramEmbeddingGenerator.CreateUnfitted();
        Assert.Equal(Corpus.Length + 1, generator.Documents);
        var text = "a salmon";
        Assert.NotEqual(unfitted.Embed(text), generator.Embed(text));
    }

    [Fact]
    public async Task A_saved_generator_embeds_exactly_as_before_and_a_damaged_file_is_a_typed_error()
    {
        using var dir = new TempDirectory();
        var generator = HashedNgramEmbeddingGenerator.Fit(Corpus, new HashedNgramOptions { Dimension = 64, MaxNgram = 3 });
        generator.Save(dir.File("embedder.json"));
        var loaded = HashedNgramEmbeddingGenerator.Load(dir.File("embedder.json"));
        Assert.Equal(generator.Options, loaded.Options);
        var texts = new[] { "Get a dog", "Bake salmon" };
        var a = await generator.GenerateAsync(texts);
        var b = await loaded.GenerateAsync(texts);
        Assert.Equal(a[1].Vector.ToArray(), b[1].Vector.ToArray());
        Assert.Equal(64, loaded.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);

        await File.WriteAllTextAsync(dir.File("bad.json"), "{\"format\":\"something else\"}");
        Assert.Throws<CorruptRunException>(() => HashedNgramEmbeddingGenerator.Load(dir.File("bad.json")));
        await File.WriteAllTextAsync(dir.File("truncated.json"), (await File.ReadAllTextAsync(dir.File("embedder.json")))[..40]);
        Assert.Throws<CorruptRunException>(() => HashedNgramEmbeddingGenerator.Load(dir.File("truncated.json")));
    }

    [Fact]
    public async Task The_caching_generator_embeds_each_distinct_text_once()
    {
        var counting = new CountingGenerator(HashedNgramEmbeddingGenerator.Fit(Corpus));
        using var cached = new MemoryCachingEmbeddingGenerator(counting);
        var first = await cached.GenerateAsync(["one text", "another text", "one text"]);
        var second = await cached.GenerateAsync(["another text", "a third text"]);
        Assert.Equal(3, counting.Embedded);
        Assert.Equal(first[0].Vector.ToArray(), first[2].Vector.ToArray());
        Assert.Equal(first[1].Vector.ToArray(), second[0].Vector.ToArray());
    }

    [Fact]
    public async Task Text_records_load_through_a_generator_in_file_order()
    {
        using var dir = new TempDirectory();
        var path = dir.File("text.jsonl");
        await File.WriteAllLinesAsync(path, [
            """{"user_id":"a","prompt":"Which pet?","chosen":"A cat","rejected":"A dog"}""",
            """{"user_id":"b","prompt":"Dinner?","chosen":"Salmon","rejected":"Whatever"}""",
        ]);
        var generator = HashedNgramEmbeddingGenerator.Fit(Corpus, new HashedNgramOptions { Dimension = 32 });
        var data = await PreferenceJsonl.LoadDatasetAsync(path, generator);
        Assert.Equal(32, data.ResponseDimension);
        Assert.Equal(32, data.PromptDimension);
        Assert.Equal(generator.Embed("Salmon"), data.ChosenVector(1).ToArray());
        Assert.Equal(generator.Embed("Which pet?"), data.PromptVector(0).ToArray());
        Assert.Equal("A dog", data.RejectedTextAt(0));
    }

    [Fact]
    public void The_text_population_has_a_contested_topic_where_the_groups_disagree()
    {
        var population = SyntheticTextPopulation.Generate(new SyntheticPopulationOptions { Seed = 1, SeenUsers = 40, UnseenUsers = 4 });
        var contested = population.TestSeen.Where(SyntheticTextPopulation.IsContested).ToList();
        Assert.InRange(contested.Count / (double)population.TestSeen.Count, 0.2, 0.4);
        double CatShare(string group) => contested.Where(r => r.Group == group).Average(r => r.Chosen!.Contains("cat", StringComparison.Ordinal) ? 1.0 : 0);
        Assert.True(CatShare("cats") > 0.85 && CatShare("dogs") < 0.15, $"{CatShare("cats"):F2} / {CatShare("dogs"):F2}");
        Assert.True(population.Oracle.Splits["test_seen"].OracleAccuracy > 0.95);

        var round = SyntheticTextPopulation.SampleRound(new Random(3), 4);
        Assert.Equal(4, round.Candidates.Count);
        var user = population.UnseenUsers[0];
        var best = round.Candidates.MaxBy(c => population.TrueReward(user, c))!;
        Assert.Equal(1, best.Quality);
    }

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private sealed class CountingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public int Embedded { get; private set; }

        public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            Embedded += list.Count;
            return base.GenerateAsync(list, options, cancellationToken);
        }
    }
}
