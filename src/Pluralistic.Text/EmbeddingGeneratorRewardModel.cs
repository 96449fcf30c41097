using Microsoft.Extensions.AI;

namespace Pluralistic.Text;

/// <summary>
/// Middleware that gives a reward model a text embedder: it answers <see cref="IUserRewardModel.GetService"/> for
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, which the text convenience methods
/// (<see cref="TextRewardModelExtensions"/>) use to turn prompts and responses into vectors.
/// </summary>
public sealed class EmbeddingGeneratorRewardModel : DelegatingUserRewardModel
{
    private readonly bool _ownsGenerator;

    /// <summary>Wraps <paramref name="innerModel"/>.</summary>
    /// <param name="innerModel">The model.</param>
    /// <param name="generator">The embedder; its vectors must have the model's response dimension.</param>
    /// <param name="ownsGenerator">Whether disposing this model disposes the generator.</param>
    public EmbeddingGeneratorRewardModel(IUserRewardModel innerModel, IEmbeddingGenerator<string, Embedding<float>> generator, bool ownsGenerator = false)
        : base(innerModel)
    {
        Generator = generator ?? throw new ArgumentNullException(nameof(generator));
        _ownsGenerator = ownsGenerator;
    }

    /// <summary>The embedder.</summary>
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
