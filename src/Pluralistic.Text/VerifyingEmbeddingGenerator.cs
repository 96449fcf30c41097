using Microsoft.Extensions.AI;

namespace Pluralistic.Text;

/// <summary>
/// An embedder that proves, once, before its first embeddings, that it is the embedder a model was trained with
/// (<see cref="TextEmbedderIdentity.VerifyAsync"/>: metadata, then the probe sketch); until then nothing is embedded,
/// and if it is not, every call fails with the same <see cref="EmbedderMismatchException"/>. The check is deferred so
/// that opening a run stays cheap when no text is scored (loading a sentence encoder costs about two seconds).
/// </summary>
public sealed class VerifyingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Lazy<Task> _verification;

    /// <summary>Wraps <paramref name="innerGenerator"/>; checks its metadata now and its probe sketch on first use.</summary>
    /// <param name="innerGenerator">The embedder to check and use.</param>
    /// <param name="expected">The embedder the model was trained with.</param>
    /// <exception cref="EmbedderMismatchException">The metadata already tells them apart.</exception>
    public VerifyingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, TextEmbedderInfo expected)
        : base(innerGenerator)
    {
        Expected = expected ?? throw new ArgumentNullException(nameof(expected));
        TextEmbedderIdentity.CheckMetadata(expected, innerGenerator);
        // Not the first caller's token: one caller giving up must not fail the check for the others.
        _verification = new Lazy<Task>(() => TextEmbedderIdentity.VerifyAsync(expected, InnerGenerator, CancellationToken.None));
    }

    /// <summary>The embedder the model was trained with.</summary>
    public TextEmbedderInfo Expected { get; }

    /// <summary>Runs the check now (it runs once; later calls return the same result).</summary>
    /// <param name="cancellationToken">Stops waiting (the check itself completes).</param>
    /// <returns>A task that completes when the embedder is verified.</returns>
    /// <exception cref="EmbedderMismatchException">It is another embedder.</exception>
    public Task VerifyAsync(CancellationToken cancellationToken = default) => _verification.Value.WaitAsync(cancellationToken);

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        await VerifyAsync(cancellationToken).ConfigureAwait(false);
        return await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Wraps <paramref name="generator"/> unless it (or a generator inside its middleware) already verifies against
    /// <paramref name="expected"/>.
    /// </summary>
    /// <param name="generator">The embedder.</param>
    /// <param name="expected">The embedder the model was trained with.</param>
    /// <returns>A verifying embedder.</returns>
    public static IEmbeddingGenerator<string, Embedding<float>> Ensure(IEmbeddingGenerator<string, Embedding<float>> generator, TextEmbedderInfo expected)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(expected);
        return generator.GetService<VerifyingEmbeddingGenerator>()?.Expected == expected ? generator : new VerifyingEmbeddingGenerator(generator, expected);
    }
}
