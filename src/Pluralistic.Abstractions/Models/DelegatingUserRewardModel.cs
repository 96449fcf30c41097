namespace Pluralistic;

/// <summary>
/// A model that passes every call to an inner model: the base of middleware (logging, caching, telemetry).
/// Override what the middleware changes; the rest passes through.
/// </summary>
public abstract class DelegatingUserRewardModel : IUserRewardModel
{
    /// <summary>Wraps <paramref name="innerModel"/>.</summary>
    /// <param name="innerModel">The model calls are passed to.</param>
    protected DelegatingUserRewardModel(IUserRewardModel innerModel)
    {
        InnerModel = innerModel ?? throw new ArgumentNullException(nameof(innerModel));
    }

    /// <summary>The model calls are passed to.</summary>
    protected IUserRewardModel InnerModel { get; }

    /// <inheritdoc />
    public virtual RewardModelMetadata Metadata => InnerModel.Metadata;

    /// <inheritdoc />
    public virtual Task<RewardMatrix> ScoreAsync(
        IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default) =>
        InnerModel.ScoreAsync(users, responses, options, cancellationToken);

    /// <inheritdoc />
    public virtual Task<PairPredictions> ScorePairsAsync(
        PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default) =>
        InnerModel.ScorePairsAsync(pairs, options, cancellationToken);

    /// <inheritdoc />
    public virtual Task<AdaptationResult> AdaptAsync(
        PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default) =>
        InnerModel.AdaptAsync(pairs, options, cancellationToken);

    /// <inheritdoc />
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerModel.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the inner model.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            InnerModel.Dispose();
        }
    }
}
