namespace Pluralistic.Torch;

/// <summary>
/// Compare-and-swap of one user's state, built on the store's atomic read-modify-write
/// (<see cref="IUserStateStore.UpdateAsync"/>): the new state is written only when the stored state is still the one
/// it was inferred from. The function handed to the store compares and returns; it never infers, so nothing
/// expensive runs inside the store's write lock.
/// </summary>
internal static class UserStateCommit
{
    /// <summary>Writes <paramref name="next"/> when the user's stored state is still <paramref name="expected"/>.</summary>
    /// <param name="store">The store.</param>
    /// <param name="expected">The state <paramref name="next"/> was inferred from, or <see langword="null"/> when the user had none.</param>
    /// <param name="next">The new state.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether <paramref name="next"/> was written; when not, the store holds what another writer committed.</returns>
    /// <remarks>
    /// On a conflict the store is handed back the state it holds (the contract of <see cref="IUserStateStore.UpdateAsync"/>
    /// has no "leave unchanged"): an identical write, or nothing when the user has no state.
    /// </remarks>
    public static async ValueTask<bool> TryCommitAsync(IUserStateStore store, UserState? expected, UserState next, CancellationToken cancellationToken)
    {
        var swapped = false;
        await store.UpdateAsync(
            next.User,
            current =>
            {
                // The store may call this more than once under contention: the last call decides.
                swapped = IsSameWrite(current, expected);
                return swapped ? next : current;
            },
            cancellationToken).ConfigureAwait(false);
        return swapped;
    }

    /// <summary>
    /// Whether <paramref name="current"/> is the write <paramref name="expected"/> was read from: both absent, or the
    /// same revision written at the same time (the time guards against a user deleted and written again meanwhile).
    /// </summary>
    /// <param name="current">The state the store holds.</param>
    /// <param name="expected">The state read earlier.</param>
    /// <returns>Whether nobody wrote the user in between.</returns>
    public static bool IsSameWrite(UserState? current, UserState? expected) =>
        current is null
            ? expected is null
            : expected is not null && current.Revision == expected.Revision && current.UpdatedUtc == expected.UpdatedUtc;
}
