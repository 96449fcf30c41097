using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Pluralistic;

/// <summary>A thread-safe user state store in process memory: for tests, trained-but-unsaved models and caches.</summary>
public sealed class InMemoryUserStateStore : IUserStateStore
{
    private readonly ConcurrentDictionary<UserId, UserState> _states = new();
    private readonly Lock _batchLock = new();

    /// <inheritdoc />
    public ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_states.TryGetValue(user, out var state) ? state : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var found = new Dictionary<UserId, UserState>();
        foreach (var user in users)
        {
            if (_states.TryGetValue(user, out var state))
            {
                found[user] = state;
            }
        }

        return ValueTask.FromResult<IReadOnlyDictionary<UserId, UserState>>(found);
    }

    /// <inheritdoc />
    public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        _states[state.User] = state;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        var batch = states.ToList();
        cancellationToken.ThrowIfCancellationRequested();
        lock (_batchLock)
        {
            foreach (var state in batch)
            {
                _states[state.User] = state;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var exists = _states.TryGetValue(user, out var current);
            var next = update(current);
            if (next is not null && next.User != user)
            {
                throw new ArgumentException($"update returned a state of user '{next.User}' for user '{user}'", nameof(update));
            }

            // Optimistic concurrency: retry when another writer got in between the read and the write.
            var written = (exists, next) switch
            {
                (true, null) => ((ICollection<KeyValuePair<UserId, UserState>>)_states).Remove(new(user, current!)),
                (true, _) => _states.TryUpdate(user, next, current!),
                (false, null) => true,
                (false, _) => _states.TryAdd(user, next),
            };
            if (written)
            {
                return ValueTask.FromResult(next);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_states.TryRemove(user, out _));

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_states.Count);

    /// <inheritdoc />
    public async IAsyncEnumerable<UserState> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var state in _states.Values.OrderBy(s => s.User))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return state;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
