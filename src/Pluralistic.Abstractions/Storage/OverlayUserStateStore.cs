using System.Runtime.CompilerServices;

namespace Pluralistic;

/// <summary>
/// A copy-on-write view of another store: reads see the base store, writes and deletes stay in memory.
/// Used where users are adapted for one job only (evaluation with context pairs, what-if scoring) so the
/// base store is left byte-for-byte unchanged.
/// </summary>
public sealed class OverlayUserStateStore : IUserStateStore
{
    private readonly IUserStateStore _base;
    private readonly InMemoryUserStateStore _written = new();
    private readonly HashSet<UserId> _deleted = [];
    private readonly Lock _deletedLock = new();

    /// <summary>Creates an overlay over <paramref name="baseStore"/>, which it never writes to or disposes.</summary>
    /// <param name="baseStore">The store to read through to.</param>
    public OverlayUserStateStore(IUserStateStore baseStore)
    {
        _base = baseStore ?? throw new ArgumentNullException(nameof(baseStore));
    }

    /// <inheritdoc />
    public async ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default)
    {
        var written = await _written.GetAsync(user, cancellationToken).ConfigureAwait(false);
        if (written is not null)
        {
            return written;
        }

        return IsDeleted(user) ? null : await _base.GetAsync(user, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default)
    {
        var wanted = users.ToList();
        var result = new Dictionary<UserId, UserState>(await _written.GetManyAsync(wanted, cancellationToken).ConfigureAwait(false));
        var rest = wanted.Where(u => !result.ContainsKey(u) && !IsDeleted(u)).ToList();
        if (rest.Count > 0)
        {
            foreach (var (user, state) in await _base.GetManyAsync(rest, cancellationToken).ConfigureAwait(false))
            {
                result[user] = state;
            }
        }

        return result;
    }

    /// <inheritdoc />
    public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default) =>
        _written.UpsertAsync(state, cancellationToken);

    /// <inheritdoc />
    public ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default) =>
        _written.UpsertManyAsync(states, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var fallback = IsDeleted(user) ? null : await _base.GetAsync(user, cancellationToken).ConfigureAwait(false);
        var next = await _written.UpdateAsync(user, current => update(current ?? fallback), cancellationToken).ConfigureAwait(false);
        if (next is null)
        {
            MarkDeleted(user);
        }

        return next;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default)
    {
        var existed = await GetAsync(user, cancellationToken).ConfigureAwait(false) is not null;
        await _written.DeleteAsync(user, cancellationToken).ConfigureAwait(false);
        MarkDeleted(user);
        return existed;
    }

    /// <inheritdoc />
    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        await foreach (var unused in ListAsync(cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UserState> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var merged = new SortedDictionary<UserId, UserState>();
        await foreach (var state in _base.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!IsDeleted(state.User))
            {
                merged[state.User] = state;
            }
        }

        await foreach (var state in _written.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            merged[state.User] = state;
        }

        foreach (var state in merged.Values)
        {
            yield return state;
        }
    }

    /// <summary>Disposes the overlay's own memory; the base store stays open.</summary>
    public void Dispose() => _written.Dispose();

    private bool IsDeleted(UserId user)
    {
        lock (_deletedLock)
        {
            return _deleted.Contains(user);
        }
    }

    private void MarkDeleted(UserId user)
    {
        lock (_deletedLock)
        {
            _deleted.Add(user);
        }
    }
}
