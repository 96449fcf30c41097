using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;

namespace Pluralistic.Text;

/// <summary>
/// Embeds each distinct text once per process: an in-memory, size-bounded cache in front of any embedding generator
/// (Microsoft.Extensions.AI's caching base, backed by <see cref="MemoryCache"/>). For a persistent cache shared across
/// processes, use Microsoft.Extensions.AI's <see cref="DistributedCachingEmbeddingGenerator{TInput, TEmbedding}"/> with
/// any <c>IDistributedCache</c>.
/// </summary>
public sealed class MemoryCachingEmbeddingGenerator : CachingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly MemoryCache _cache;

    /// <summary>Wraps <paramref name="innerGenerator"/>.</summary>
    /// <param name="innerGenerator">The generator whose results are cached.</param>
    /// <param name="capacity">The most texts kept.</param>
    public MemoryCachingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, int capacity = 100_000)
        : base(innerGenerator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });
    }

    /// <summary>Embeds the values, each distinct text once (also within one call), reusing cached embeddings.</summary>
    /// <param name="values">The texts.</param>
    /// <param name="options">Generation options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One embedding per value, in order.</returns>
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values as IReadOnlyList<string> ?? values.ToList();
        var distinct = list.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == list.Count)
        {
            return await base.GenerateAsync(list, options, cancellationToken).ConfigureAwait(false);
        }

        var embedded = await base.GenerateAsync(distinct, options, cancellationToken).ConfigureAwait(false);
        var byText = new Dictionary<string, Embedding<float>>(distinct.Count, StringComparer.Ordinal);
        for (var i = 0; i < distinct.Count; i++)
        {
            byText[distinct[i]] = embedded[i];
        }

        return new GeneratedEmbeddings<Embedding<float>>(list.Select(text => byText[text])) { Usage = embedded.Usage, AdditionalProperties = embedded.AdditionalProperties };
    }

    /// <inheritdoc />
    protected override string GetCacheKey(params ReadOnlySpan<object?> values)
    {
        // The text itself is the key when no per-call options vary the result: exact, and no hashing on the hot path.
        if (values.Length >= 1 && values[0] is string text)
        {
            var optionsFree = true;
            foreach (var value in values[1..])
            {
                optionsFree &= value is null;
            }

            if (optionsFree)
            {
                return text;
            }
        }

        return "h:" + AIJsonUtilities.HashDataToString(values);
    }

    /// <inheritdoc />
    protected override Task<Embedding<float>?> ReadCacheAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(_cache.TryGetValue(key, out Embedding<float>? embedding) ? embedding : null);

    /// <inheritdoc />
    protected override Task WriteCacheAsync(string key, Embedding<float> value, CancellationToken cancellationToken)
    {
        _cache.Set(key, value, new MemoryCacheEntryOptions { Size = 1 });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cache.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Adds <see cref="MemoryCachingEmbeddingGenerator"/> to an embedding generator pipeline (Microsoft.Extensions.AI's builder).</summary>
public static class MemoryCachingEmbeddingGeneratorBuilderExtensions
{
    /// <summary>Embeds each distinct text once per process (see <see cref="MemoryCachingEmbeddingGenerator"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="capacity">The most texts kept.</param>
    /// <returns>The builder.</returns>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UseMemoryCache(this EmbeddingGeneratorBuilder<string, Embedding<float>> builder, int capacity = 100_000)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return builder.Use(inner => new MemoryCachingEmbeddingGenerator(inner, capacity));
    }
}
