namespace Pluralistic.Evaluation;

/// <summary>
/// A view of a model over a copy-on-write overlay of its state store: users adapted through <see cref="Model"/>
/// are visible to it alone, and the model's real store is never written. Disposing drops the view and the overlay.
/// </summary>
internal sealed class ScratchUserStates : IDisposable
{
    private readonly OverlayUserStateStore _overlay;

    private ScratchUserStates(IUserRewardModel view, OverlayUserStateStore overlay)
    {
        Model = view;
        _overlay = overlay;
    }

    /// <summary>The model's view over the overlay.</summary>
    public IUserRewardModel Model { get; }

    /// <summary>The overlay the view reads and writes.</summary>
    public IUserStateStore Store => _overlay;

    public static ScratchUserStates Create(IUserRewardModel model)
    {
        var accessor = model.GetRequiredService<IUserStateStoreAccessor>();
        var overlay = new OverlayUserStateStore(accessor.UserStates);
        try
        {
            var view = accessor.WithUserStateStore(overlay);

            // Disposing the scratch disposes the view; a view that is the model itself would take the model down with it.
            if (ReferenceEquals(view, model))
            {
                throw new InvalidOperationException($"model '{model.Metadata.Kind}' returned itself from WithUserStateStore; a view over another store must be a new object");
            }

            return new ScratchUserStates(view, overlay);
        }
        catch
        {
            overlay.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // The view first: it may still reference the overlay while it shuts down.
        Model.Dispose();
        _overlay.Dispose();
    }
}
