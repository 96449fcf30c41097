using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Pluralistic.Text.MiniLM;

/// <summary>Registers the sentence encoder in a service container, in the style of Microsoft.Extensions.AI.</summary>
public static class MiniLmServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MiniLmEmbeddingGenerator"/> as the <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>;
    /// add middleware on the returned builder (for example <c>.UseMemoryCache()</c>, <c>.UseLogging()</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <param name="lifetime">The registration's lifetime (the model is shared by the process whatever it is).</param>
    /// <returns>The builder of the generator's pipeline.</returns>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddMiniLmEmbeddingGenerator(
        this IServiceCollection services, MiniLmOptions? options = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        options?.Validate();
        return services.AddEmbeddingGenerator(_ => new MiniLmEmbeddingGenerator(options), lifetime);
    }

    /// <summary>Registers <see cref="MiniLmEmbeddingGenerator"/> under a key.</summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The key.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <param name="lifetime">The registration's lifetime.</param>
    /// <returns>The builder of the generator's pipeline.</returns>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddKeyedMiniLmEmbeddingGenerator(
        this IServiceCollection services, object? serviceKey, MiniLmOptions? options = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        options?.Validate();
        return services.AddKeyedEmbeddingGenerator(serviceKey, _ => new MiniLmEmbeddingGenerator(options), lifetime);
    }
}
