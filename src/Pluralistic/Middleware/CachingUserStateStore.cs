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

    // Writes through this instance, per stripe of users: how many began or ended, and how many are under way. A copy
    // read from the store is cached only when no write of its stripe was under way, began or ended meanwhile; a
    // written state only when no other write of its stripe overlapped it. Otherwise a read racing a write could cache
    // the state the write replaced, and two racing writes the older state, served until evicted when copies do not
    // expire.
    private const int Stripes = 1024;
    private readonly long[] _changes = new long[Stripes];
    private readonly int[] _active = new int[Stripes];
    private readonly Lock _sync = new();

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

        var seen = Seen(user);
        var state = await _inner.GetAsync(user, cancellationToken).ConfigureAwait(false);
        Remember(user, state, seen);
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
            var seen = missing.ConvertAll(Seen);
            var loaded = await _inner.GetManyAsync(missing, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < missing.Count; i++)
            {
                var user = missing[i];
                loaded.TryGetValue(user, out var state);
                Remember(user, state, seen[i]);
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
        var mine = BeginWrite(state.User);
        var written = false;
        try
        {
            await _inner.UpsertAsync(state, cancellationToken).ConfigureAwait(false);
            written = true;
        }
        finally
        {
            EndWrite(state.User, mine, written, state);
        }
    }

    /// <inheritdoc />
    public async ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default)
    {
        var batch = states?.ToList() ?? throw new ArgumentNullException(nameof(states));
        var started = batch.Where(s => s is not null).Select(s => (s.User, Mine: BeginWrite(s.User))).ToList();
        try
        {
            await _inner.UpsertManyAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened, drop the cached copies so the next read sees the store of record.
            foreach (var (user, mine) in started)
            {
                EndWrite(user, mine, written: false, state: null);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
    {
        var mine = BeginWrite(user);
        UserState? state = null;
        var written = false;
        try
        {
            state = await _inner.UpdateAsync(user, update, cancellationToken).ConfigureAwait(false);
            written = true;
            return state;
        }
        finally
        {
            EndWrite(user, mine, written, state);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default)
    {
        var mine = BeginWrite(user);
        try
        {
            return await _inner.DeleteAsync(user, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EndWrite(user, mine, written: false, state: null);
        }
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

    private static int Stripe(UserId user) => (int)((uint)user.GetHashCode() % Stripes);

    private long Seen(UserId user)
    {
        lock (_sync)
        {
            return _changes[Stripe(user)];
        }
    }

    // A write begins: the user's copy is dropped; returns the stripe's count of changes, for EndWrite.
    private long BeginWrite(UserId user)
    {
        lock (_sync)
        {
            _cache.Remove(user);
            _active[Stripe(user)]++;
            return ++_changes[Stripe(user)];
        }
    }

    // A write ends: its state is cached when it was written and no other write of the stripe overlapped it; otherwise
    // the user's copy is dropped, so the next read goes to the store.
    private void EndWrite(UserId user, long mine, bool written, UserState? state)
    {
        lock (_sync)
        {
            var stripe = Stripe(user);
            var alone = _changes[stripe] == mine && _active[stripe] == 1;
            _active[stripe]--;
            _changes[stripe]++;
            if (written && alone)
            {
                Cache(user, state);
            }
            else
            {
                _cache.Remove(user);
            }
        }
    }

    // Caches a state read from the store when no write of its stripe was under way, began or ended since `seen`.
    private void Remember(UserId user, UserState? state, long seen)
    {
        lock (_sync)
        {
            if (_changes[Stripe(user)] == seen && _active[Stripe(user)] == 0)
            {
                Cache(user, state);
            }
        }
    }

    // Absent users are cached too (as null), so repeated lookups of unknown users do not hit the store.
    private void Cache(UserId user, UserState? state) =>
        _cache.Set(user, state, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = MaxAge });
}
