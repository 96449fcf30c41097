namespace Pluralistic;

/// <summary>
/// Where per-user states live. Implementations are thread-safe; <see cref="UpdateAsync"/> is an atomic
/// read-modify-write per user, so concurrent writers never lose an update.
/// </summary>
public interface IUserStateStore : IDisposable
{
    /// <summary>Reads one user's state.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The state, or <see langword="null"/> when the store has none.</returns>
    ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default);

    /// <summary>Reads many users' states in one call.</summary>
    /// <param name="users">The users.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The states found, keyed by user; users without a state are absent.</returns>
    ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default);

    /// <summary>Writes one state, replacing any earlier state of that user.</summary>
    /// <param name="state">The state.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default);

    /// <summary>Writes many states as one unit: either all are written or none.</summary>
    /// <param name="states">The states.</param>
    /// <param name="cancellationToken">Cancels the call before anything is written.</param>
    /// <returns>A task.</returns>
    ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically replaces one user's state with <paramref name="update"/>(current). The function may run more than
    /// once under contention and must have no side effects. Returning <see langword="null"/> deletes the state.
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="update">Maps the current state (or <see langword="null"/>) to the new one.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new state.</returns>
    ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default);

    /// <summary>Removes every trace of one user's state.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether a state was removed.</returns>
    ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default);

    /// <summary>Counts the stored states.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Enumerates every stored state, in user-id order.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The states.</returns>
    IAsyncEnumerable<UserState> ListAsync(CancellationToken cancellationToken = default);
}
