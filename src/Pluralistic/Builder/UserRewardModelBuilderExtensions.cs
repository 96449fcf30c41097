using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pluralistic.Text;

namespace Pluralistic;

/// <summary>The middleware of <see cref="UserRewardModelBuilder"/>: logging, metrics, a user state cache, a text embedder.</summary>
public static class UserRewardModelBuilderExtensions
{
    /// <summary>Logs every call (see <see cref="LoggingUserRewardModel"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="loggerFactory">The logger factory; resolved from services when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static UserRewardModelBuilder UseLogging(this UserRewardModelBuilder builder, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var factory = loggerFactory ?? services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return new LoggingUserRewardModel(inner, factory.CreateLogger<LoggingUserRewardModel>());
        });
    }

    /// <summary>Publishes metrics through System.Diagnostics.Metrics (see <see cref="MetricsUserRewardModel"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static UserRewardModelBuilder UseMetrics(this UserRewardModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new MetricsUserRewardModel(inner, services.GetService<IMeterFactory>()));
    }

    /// <summary>
    /// Keeps hot user states in memory in front of the model's store (write-through; see
    /// <see cref="CachingUserStateStore"/>): scoring a user a second time reads no store. The cache sits at the store,
    /// under every layer, wherever in the chain it is added.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="capacity">The most users kept in memory.</param>
    /// <returns>The builder.</returns>
    public static UserRewardModelBuilder UseUserStateCache(this UserRewardModelBuilder builder, int capacity = 10_000)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return builder.UseUserStateStore((store, _) => new CachingUserStateStore(store, capacity));
    }

    /// <summary>
    /// Keeps hot user states in memory in front of a store other processes also write (many servers over one
    /// PostgreSQL database): a cached copy is served for at most <paramref name="maxAge"/>, so a score never uses a
    /// state older than that bound after another process changed it (see <see cref="CachingUserStateStore"/>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="capacity">The most users kept in memory.</param>
    /// <param name="maxAge">The staleness bound; positive.</param>
    /// <returns>The builder.</returns>
    public static UserRewardModelBuilder UseUserStateCache(this UserRewardModelBuilder builder, int capacity, TimeSpan maxAge)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        return builder.UseUserStateStore((store, _) => new CachingUserStateStore(store, capacity, maxAge));
    }

    /// <summary>
    /// Gives the model a text embedder for the text convenience methods (rank, best-of-n, feedback). Without an
    /// argument, the <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> registered in services is used.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="generator">The embedder, or <see langword="null"/> to resolve one from services.</param>
    /// <returns>The builder.</returns>
    public static UserRewardModelBuilder UseEmbeddingGenerator(this UserRewardModelBuilder builder, IEmbeddingGenerator<string, Embedding<float>>? generator = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new EmbeddingGeneratorRewardModel(
            inner,
            generator ?? services.GetService<IEmbeddingGenerator<string, Embedding<float>>>()
                ?? throw new InvalidOperationException("UseEmbeddingGenerator: no generator was given and none is registered")));
    }
}
