using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Pluralistic.Text;

/// <summary>
/// The offline default text embedder: tokens from a tiktoken tokenizer (Microsoft.ML.Tokenizers, data from its
/// packages), token n-grams hashed into a fixed number of buckets, sublinear term frequency times an inverse
/// document frequency learned from the training texts, L2-normalised. No network, no model download; deterministic
/// across machines. Save it with a run (<see cref="Save"/>) so scoring embeds text exactly as training did.
/// </summary>
public sealed class HashedNgramEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in the generator's metadata.</summary>
    public const string ProviderName = "pluralistic-hashed-ngrams";

    /// <summary>The format of files written by <see cref="Save"/> (and its version).</summary>
    public const string SavedFormat = "pluralistic-hashed-ngrams/1";

    private static readonly ConcurrentDictionary<string, Tokenizer> Tokenizers = new(StringComparer.Ordinal);
    private readonly float[] _idf;
    private readonly Tokenizer _tokenizer;
    private readonly EmbeddingGeneratorMetadata _metadata;

    private HashedNgramEmbeddingGenerator(HashedNgramOptions options, float[] idf, int documents)
    {
        options.Validate();
        if (idf.Length != options.Dimension)
        {
            throw new ArgumentException($"expected {options.Dimension} inverse document frequencies, got {idf.Length}", nameof(idf));
        }

        Options = options;
        Documents = documents;
        _idf = idf;
        _tokenizer = Tokenizers.GetOrAdd(options.Encoding, static name => TiktokenTokenizer.CreateForEncoding(name));
        _metadata = new EmbeddingGeneratorMetadata(ProviderName, defaultModelId: $"{options.Encoding}-{options.MaxNgram}gram-{options.Dimension}", defaultModelDimensions: options.Dimension);
    }

    /// <summary>The options.</summary>
    public HashedNgramOptions Options { get; }

    /// <summary>The number of texts the inverse document frequencies were learned from (0: none, all weights 1).</summary>
    public int Documents { get; }

    /// <summary>The vector length.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>A generator without learned document frequencies (every bucket weighs 1).</summary>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The generator.</returns>
    public static HashedNgramEmbeddingGenerator CreateUnfitted(HashedNgramOptions? options = null)
    {
        options ??= new HashedNgramOptions();
        return new HashedNgramEmbeddingGenerator(options, Enumerable.Repeat(1f, options.Dimension).ToArray(), 0);
    }

    /// <summary>Learns inverse document frequencies from a corpus (typically every text of the training data).</summary>
    /// <param name="corpus">The texts; each is one document.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The fitted generator.</returns>
    public static HashedNgramEmbeddingGenerator Fit(IEnumerable<string> corpus, HashedNgramOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var unfitted = CreateUnfitted(options);
        var documentFrequency = new int[unfitted.Dimension];
        var documents = 0;
        var seen = new HashSet<int>();
        foreach (var text in corpus.Distinct(StringComparer.Ordinal))
        {
            seen.Clear();
            unfitted.VisitBuckets(text, bucket => seen.Add(bucket));
            foreach (var bucket in seen)
            {
                documentFrequency[bucket]++;
            }

            documents++;
        }

        // Smoothed IDF (as scikit-learn): log((1 + n) / (1 + df)) + 1, so unseen buckets weigh the most, never zero.
        var idf = documentFrequency.Select(df => (float)(Math.Log((1.0 + documents) / (1.0 + df)) + 1)).ToArray();
        return new HashedNgramEmbeddingGenerator(unfitted.Options, idf, documents);
    }

    /// <summary>Embeds one text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The L2-normalised vector (all zeros for a text with no tokens).</returns>
    public float[] Embed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new float[Dimension];
        VisitBuckets(text, bucket => counts[bucket]++);
        double norm = 0;
        for (var b = 0; b < counts.Length; b++)
        {
            if (counts[b] == 0)
            {
                continue;
            }

            var tf = Options.SublinearTf ? 1 + MathF.Log(counts[b]) : counts[b];
            counts[b] = tf * _idf[b];
            norm += counts[b] * counts[b];
        }

        if (norm > 0)
        {
            var scale = (float)(1 / Math.Sqrt(norm));
            for (var b = 0; b < counts.Length; b++)
            {
                counts[b] *= scale;
            }
        }

        return counts;
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(value)) { ModelId = _metadata.DefaultModelId });
        }

        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Writes the generator (options and document frequencies) as JSON.</summary>
    /// <param name="path">The file.</param>
    public void Save(string path) =>
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(new SavedGenerator(SavedFormat, Options, _idf, Documents), TextJsonContext.Default.SavedGenerator));

    /// <summary>Reads a generator written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The generator.</returns>
    /// <exception cref="CorruptRunException">The file is not a saved generator or is damaged.</exception>
    public static HashedNgramEmbeddingGenerator Load(string path)
    {
        try
        {
            var saved = JsonSerializer.Deserialize(File.ReadAllBytes(path), TextJsonContext.Default.SavedGenerator);
            if (saved is null || saved.Format != SavedFormat || saved.Options is null || saved.Idf is null)
            {
                throw new CorruptRunException(path, $"{Path.GetFileName(path)} is not a saved {ProviderName} embedding generator");
            }

            return new HashedNgramEmbeddingGenerator(saved.Options, saved.Idf, saved.Documents);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new CorruptRunException(path, $"{Path.GetFileName(path)} is damaged: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void VisitBuckets(string text, Action<int> visit)
    {
        var ids = _tokenizer.EncodeToIds(Options.Lowercase ? text.ToLowerInvariant() : text);
        for (var i = 0; i < ids.Count; i++)
        {
            ulong hash = 0x9E3779B97F4A7C15;
            for (var n = 0; n < Options.MaxNgram && i + n < ids.Count; n++)
            {
                // splitmix64 over the n-gram's ids: deterministic across processes (string.GetHashCode is not).
                hash = Mix(hash ^ (ulong)(uint)ids[i + n] ^ ((ulong)n << 40));
                visit((int)(hash % (ulong)Dimension));
            }
        }
    }

    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    /// <summary>The saved form.</summary>
    internal sealed record SavedGenerator(string Format, HashedNgramOptions Options, float[] Idf, int Documents);
}

/// <summary>Source-generated JSON for saved generators.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HashedNgramEmbeddingGenerator.SavedGenerator))]
internal sealed partial class TextJsonContext : JsonSerializerContext;
