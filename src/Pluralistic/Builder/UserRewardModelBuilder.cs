namespace Pluralistic;

/// <summary>
/// Composes a reward model with middleware, as Microsoft.Extensions.AI's client builders do: <see cref="Use(Func{IUserRewardModel, IServiceProvider, IUserRewardModel})"/>
/// adds a layer, and <see cref="Build"/> applies the layers in reverse order, so the first one added is the
/// outermost (it sees every call first). <see cref="UseUserStateStore"/> decorates the innermost model's user
/// state store instead (a cache, for example): that happens under every layer, whatever its place in the chain, so
/// each layer wraps, and never replaces, what is inside it.
/// </summary>
public sealed class UserRewardModelBuilder
{
    private readonly Func<IServiceProvider, IUserRewardModel> _innerFactory;
    private readonly List<Func<IUserRewardModel, IServiceProvider, IUserRewardModel>> _layers = [];
    private readonly List<Func<IUserStateStore, IServiceProvider, IUserStateStore>> _storeDecorators = [];

    /// <summary>Starts from a model.</summary>
    /// <param name="innerModel">The innermost model.</param>
    public UserRewardModelBuilder(IUserRewardModel innerModel)
    {
        ArgumentNullException.ThrowIfNull(innerModel);
        _innerFactory = _ => innerModel;
    }

    /// <summary>Starts from a factory of the innermost model (resolved when the pipeline is built).</summary>
    /// <param name="innerFactory">Creates the innermost model.</param>
    public UserRewardModelBuilder(Func<IServiceProvider, IUserRewardModel> innerFactory)
    {
        _innerFactory = innerFactory ?? throw new ArgumentNullException(nameof(innerFactory));
    }

    /// <summary>Adds a layer.</summary>
    /// <param name="layer">Wraps the model built so far.</param>
    /// <returns>The builder.</returns>
    public UserRewardModelBuilder Use(Func<IUserRewardModel, IUserRewardModel> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Use((inner, _) => layer(inner));
    }

    /// <summary>Adds a layer that needs services.</summary>
    /// <param name="layer">Wraps the model built so far.</param>
    /// <returns>The builder.</returns>
    public UserRewardModelBuilder Use(Func<IUserRewardModel, IServiceProvider, IUserRewardModel> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>
    /// Decorates the user state store of the innermost model (decorators apply in the order added: the first wraps the
    /// store itself). The model is then viewed over the decorated store, beneath every layer.
    /// </summary>
    /// <param name="decorator">Wraps a store; the returned store is disposed with the pipeline.</param>
    /// <returns>The builder.</returns>
    public UserRewardModelBuilder UseUserStateStore(Func<IUserStateStore, IServiceProvider, IUserStateStore> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        _storeDecorators.Add(decorator);
        return this;
    }

    /// <summary>Builds the pipeline.</summary>
    /// <param name="services">Services for the layers; an empty provider when <see langword="null"/>.</param>
    /// <returns>The outermost model.</returns>
    public IUserRewardModel Build(IServiceProvider? services = null)
    {
        services ??= EmptyServiceProvider.Instance;
        var model = _innerFactory(services);
        if (_storeDecorators.Count > 0)
        {
            model = StoreDecoratedRewardModel.Create(model, _storeDecorators.Select(d => (Func<IUserStateStore, IUserStateStore>)(store => d(store, services))));
        }

        try
        {
            for (var i = _layers.Count - 1; i >= 0; i--)
            {
                model = _layers[i](model, services) ?? throw new InvalidOperationException($"layer {i} of the user reward model builder returned null");
            }
        }
        catch
        {
            // A layer that refuses the model (for example another text embedder than the run's) must not leave the
            // model built so far, and the store it holds open, behind.
            model.Dispose();
            throw;
        }

        return model;
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
