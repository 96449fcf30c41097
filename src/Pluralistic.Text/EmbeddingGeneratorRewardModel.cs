using Microsoft.Extensions.AI;

namespace Pluralistic.Text;

/// <summary>
/// Middleware that gives a reward model a text embedder: it answers <see cref="IUserRewardModel.GetService"/> for
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, which the text convenience methods
/// (<see cref="TextRewardModelExtensions"/>) use to turn prompts and responses into vectors. When the model knows the
/// embedder it was trained with (<see cref="RewardModelMetadata.TextEmbedder"/>, from a run), the embedder given must
/// be that one: the metadata is checked here and the probe sketch before the first text is embedded
/// (<see cref="VerifyingEmbeddingGenerator"/>); another embedder is an <see cref="EmbedderMismatchException"/>.
/// </summary>
public sealed class EmbeddingGeneratorRewardModel : DelegatingUserRewardModel
{
    private readonly bool _ownsGenerator;

    /// <summary>Wraps <paramref name="innerModel"/>.</summary>
    /// <param name="innerModel">The model.</param>
    /// <param name="generator">The embedder; its vectors must have the model's response dimension.</param>
    /// <param name="ownsGenerator">Whether disposing this model disposes the generator.</param>
    /// <exception cref="EmbedderMismatchException">The model was trained with another embedder (by its metadata).</exception>
    public EmbeddingGeneratorRewardModel(IUserRewardModel innerModel, IEmbeddingGenerator<string, Embedding<float>> generator, bool ownsGenerator = false)
        : base(innerModel)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Generator = innerModel.Metadata.TextEmbedder is { } expected ? VerifyingEmbeddingGenerator.Ensure(generator, expected) : generator;
        _ownsGenerator = ownsGenerator;
    }

    /// <summary>The embedder (verifying itself against the model's training embedder when the model knows it).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> Generator { get; }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(Generator) ? Generator : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsGenerator)
        {
            Generator.Dispose();
        }

        base.Dispose(disposing);
    }
}
