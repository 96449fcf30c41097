namespace Pluralistic;

/// <summary>
/// The innermost model of a pipeline whose user state store is decorated (for example by a cache): the model is
/// viewed over the decorated store, and this shell owns both the model and the decorators. The builder puts it under
/// every layer, so no layer is skipped whatever the order in which the store decorators were added.
/// </summary>
internal sealed class StoreDecoratedRewardModel : DelegatingUserRewardModel, IUserStateStoreAccessor
{
    private readonly IUserRewardModel _original;
    private readonly IUserStateStoreAccessor _accessor;
    private readonly IReadOnlyList<IUserStateStore> _decorators;

    private StoreDecoratedRewardModel(IUserRewardModel original, IUserStateStoreAccessor accessor, IReadOnlyList<IUserStateStore> decorators)
        : base(accessor.WithUserStateStore(decorators[^1]))
    {
        _original = original;
        _accessor = accessor;
        _decorators = decorators;
    }

    /// <inheritdoc />
    public IUserStateStore UserStates => _decorators[^1];

    /// <summary>Views <paramref name="model"/> over its store wrapped by each decorator in turn (the first wraps the store itself).</summary>
    /// <param name="model">The innermost model (owned from now on).</param>
    /// <param name="decorators">Wrap a store.</param>
    /// <returns>The shell.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model keeps no user states in a store.</exception>
    public static StoreDecoratedRewardModel Create(IUserRewardModel model, IEnumerable<Func<IUserStateStore, IUserStateStore>> decorators)
    {
        var accessor = model.GetService<IUserStateStoreAccessor>()
            ?? throw new CapabilityNotSupportedException(model.Metadata.Kind, "a user state store decorator such as a cache (it keeps no user states in a store)");
        var stores = new List<IUserStateStore>();
        var store = accessor.UserStates;
        foreach (var decorate in decorators)
        {
            store = decorate(store) ?? throw new InvalidOperationException("a user state store decorator returned null");
            stores.Add(store);
        }

        return new StoreDecoratedRewardModel(model, accessor, stores);
    }

    /// <inheritdoc />
    public IUserRewardModel WithUserStateStore(IUserStateStore store) => _accessor.WithUserStateStore(store);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(IUserStateStore))
        {
            return UserStates;
        }

        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerModel.GetService(serviceType, serviceKey) ?? _original.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            for (var i = _decorators.Count - 1; i >= 0; i--)
            {
                _decorators[i].Dispose();
            }

            _original.Dispose();
        }
    }
}
