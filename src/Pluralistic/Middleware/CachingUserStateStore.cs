using Microsoft.Extensions.Caching.Memory;

namespace Pluralistic;

/// <summary>
/// Keeps hot user states in memory in front of another store (write-through): reads hit memory after the first,
/// every write and delete goes to the inner store first and then updates or evicts the cached copy. Bounded by
/// <see cref="MemoryCacheOptions.SizeLimit"/> (one unit per user).
/// </summary>
/// <remarks>
/// Writes through this instance are seen at once by its readers. Writes by other processes to a shared store (many
/// servers over one PostgreSQL database) are seen once the cached copy expires: with a <see cref="MaxAge"/>, a read
/// never returns a copy fetched more than <see cref="MaxAge"/> ago, which bounds how stale a state can be. Without
/// one, copies stay until evicted or overwritten here: right for a store only this process writes (LiteDB).
/// Updates (<see cref="UpdateAsync"/>) always go to the store of record, whose compare-and-swap sees other
/// processes' writes, so a stale cached copy can delay what a score sees but never make a write lose another.
/// </remarks>
public sealed class CachingUserStateStore : IUserStateStore
{
    private readonly IUserStateStore _inner;
    private readonly MemoryCache _cache;
    private readonly bool _ownsInner;

    /// <summary>Wraps <paramref name="inner"/>; cached copies stay until evicted or overwritten here.</summary>
    /// <param name="inner">The store of record.</param>
    /// <param name="capacity">The most users kept in memory.</param>
    /// <param name="ownsInner">Whether disposing this store disposes the inner one.</param>
    public CachingUserStateStore(IUserStateStore inner, int capacity = 10_000, bool ownsInner = false)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });
        _ownsInner = ownsInner;
    }

    /// <summary>Wraps <paramref name="inner"/>, a store other processes also write: cached copies expire.</summary>
    /// <param name="inner">The store of record.</param>
    /// <param name="capacity">The most users kept in memory.</param>
    /// <param name="maxAge">How long a copy read from the store may be served (the staleness bound); positive.</param>
    /// <param name="ownsInner">Whether disposing this store disposes the inner one.</param>
    public CachingUserStateStore(IUserStateStore inner, int capacity, TimeSpan maxAge, bool ownsInner = false)
        : this(inner, capacity, ownsInner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        MaxAge = maxAge;
    }

    /// <summary>How long a cached copy may be served, or <see langword="null"/> when copies do not expire.</summary>
    public TimeSpan? MaxAge { get; }

    /// <inheritdoc />
    public async ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(user, out UserState? cached))
        {
            return cached;
        }

        var state = await _inner.GetAsync(user, cancellationToken).ConfigureAwait(false);
        Remember(user, state);
        return state;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var found = new Dictionary<UserId, UserState>();
        var missing = new List<UserId>();
        foreach (var user in users)
        {
            if (_cache.TryGetValue(user, out UserState? cached))
            {
                if (cached is not null)
                {
                    found[user] = cached;
                }
            }
            else
            {
                missing.Add(user);
            }
        }

        if (missing.Count > 0)
        {
            var loaded = await _inner.GetManyAsync(missing, cancellationToken).ConfigureAwait(false);
            foreach (var user in missing)
            {
                loaded.TryGetValue(user, out var state);
                Remember(user, state);
                if (state is not null)
                {
                    found[user] = state;
                }
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        await _inner.UpsertAsync(state, cancellationToken).ConfigureAwait(false);
        Remember(state.User, state);
    }

    /// <inheritdoc />
    public async ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default)
    {
        var batch = states?.ToList() ?? throw new ArgumentNullException(nameof(states));
        try
        {
            await _inner.UpsertManyAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened, drop the cached copies so the next read sees the store of record.
            foreach (var state in batch)
            {
                _cache.Remove(state.User);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
    {
        _cache.Remove(user);
        var state = await _inner.UpdateAsync(user, update, cancellationToken).ConfigureAwait(false);
        Remember(user, state);
        return state;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default)
    {
        _cache.Remove(user);
        var deleted = await _inner.DeleteAsync(user, cancellationToken).ConfigureAwait(false);
        _cache.Remove(user);
        return deleted;
    }

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => _inner.CountAsync(cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<UserState> ListAsync(CancellationToken cancellationToken = default) => _inner.ListAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _cache.Dispose();
        if (_ownsInner)
        {
            _inner.Dispose();
        }
    }

    // Absent users are cached too (as null), so repeated lookups of unknown users do not hit the store.
    private void Remember(UserId user, UserState? state) =>
        _cache.Set(user, state, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = MaxAge });
}
