namespace Pluralistic;

/// <summary>
/// Keeps hot user states in memory: the inner model is viewed over a <see cref="CachingUserStateStore"/> in front
/// of its own store, so scoring a user a second time reads no store, and adapting or forgetting a user goes through
/// the cache (write-through, evicting).
/// </summary>
public sealed class UserStateCachingRewardModel : DelegatingUserRewardModel, IUserStateStoreAccessor
{
    private readonly IUserRewardModel _original;
    private readonly CachingUserStateStore _cache;

    /// <summary>Wraps <paramref name="innerModel"/>, which must keep its states in a store.</summary>
    /// <param name="innerModel">The model (disposed with this one).</param>
    /// <param name="capacity">The most users kept in memory.</param>
    /// <exception cref="CapabilityNotSupportedException">The model keeps no user states in a store.</exception>
    public UserStateCachingRewardModel(IUserRewardModel innerModel, int capacity = 10_000)
        : this(innerModel, Accessor(innerModel), capacity)
    {
    }

    private UserStateCachingRewardModel(IUserRewardModel original, IUserStateStoreAccessor accessor, int capacity)
        : this(original, new CachingUserStateStore(accessor.UserStates, capacity), accessor)
    {
    }

    private UserStateCachingRewardModel(IUserRewardModel original, CachingUserStateStore cache, IUserStateStoreAccessor accessor)
        : base(accessor.WithUserStateStore(cache))
    {
        _original = original;
        _cache = cache;
    }

    /// <inheritdoc />
    public IUserStateStore UserStates => _cache;

    /// <inheritdoc />
    public IUserRewardModel WithUserStateStore(IUserStateStore store) => Accessor(InnerModel).WithUserStateStore(store);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(IUserStateStore))
        {
            return _cache;
        }

        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerModel.GetService(serviceType, serviceKey) ?? _original.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _cache.Dispose();
            _original.Dispose();
        }
    }

    private static IUserStateStoreAccessor Accessor(IUserRewardModel model) =>
        model?.GetService<IUserStateStoreAccessor>() ?? throw new CapabilityNotSupportedException(model?.Metadata.Kind ?? "?", "a user state cache (it keeps no user states in a store)");
}
