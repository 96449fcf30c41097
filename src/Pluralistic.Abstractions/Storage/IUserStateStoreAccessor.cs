namespace Pluralistic;

/// <summary>
/// Offered (through <see cref="IUserRewardModel.GetService"/>) by models whose user states live in an
/// <see cref="IUserStateStore"/>: the store, and a view of the model over another store. Evaluation uses it to
/// adapt users from context pairs in a throw-away overlay, leaving the real store untouched.
/// </summary>
public interface IUserStateStoreAccessor
{
    /// <summary>The store the model reads and writes user states in.</summary>
    IUserStateStore UserStates { get; }

    /// <summary>A view of the model that shares its population parameters but uses <paramref name="store"/>.</summary>
    /// <param name="store">The store (the view does not dispose it).</param>
    /// <returns>The view; disposing it leaves the original model intact.</returns>
    IUserRewardModel WithUserStateStore(IUserStateStore store);
}
