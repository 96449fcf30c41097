namespace Pluralistic.Torch;

/// <summary>
/// Turns users (and records' own directions) into the state rows a model scores with: stored states checked
/// against the model's kind, fingerprint and state size; the cold-start state for unknown users when allowed; an
/// explicit direction for everyone when one is given.
/// </summary>
/// <param name="store">Where user states live.</param>
/// <param name="info">What the model is.</param>
/// <param name="fingerprint">The fingerprint of the model's weights.</param>
/// <param name="method">The method's hooks (state size, cold start, direction states).</param>
internal sealed class UserStateResolver(IUserStateStore store, TorchModelInfo info, string fingerprint, ITorchMethodHooks method)
{
    /// <summary>The state vectors of <paramref name="users"/>, row-major (state-size floats each).</summary>
    /// <param name="users">The users.</param>
    /// <param name="options">Cold start and direction.</param>
    /// <param name="needed">Which users need a state (the others get zeros, never read); <see langword="null"/>: all.</param>
    /// <param name="cancellationToken">Cancels the store read.</param>
    /// <returns>users.Count x state-size floats.</returns>
    /// <exception cref="UnknownUserException">A user has no state and cold start is off.</exception>
    /// <exception cref="UserStateMismatchException">A stored state belongs to other weights or has another size.</exception>
    public async Task<float[]> ResolveAsync(IReadOnlyList<UserId> users, ScoringOptions options, IReadOnlyList<bool>? needed, CancellationToken cancellationToken)
    {
        var size = method.StateSize;
        var states = new float[users.Count * size];
        if (options.Direction is not null)
        {
            var direction = method.DirectionState(options.Direction);
            for (var u = 0; u < users.Count; u++)
            {
                direction.CopyTo(states, u * size);
            }

            return states;
        }

        var found = await store.GetManyAsync(users.Where((_, u) => needed is null || needed[u]).Distinct(), cancellationToken).ConfigureAwait(false);
        float[]? coldStart = null;
        for (var u = 0; u < users.Count; u++)
        {
            if (needed is not null && !needed[u])
            {
                continue;
            }

            if (found.TryGetValue(users[u], out var state))
            {
                CheckBelongs(users[u], state, size);
                state.Vector.Span.CopyTo(states.AsSpan(u * size, size));
            }
            else if (options.AllowColdStart)
            {
                coldStart ??= method.ColdStartState();
                coldStart.CopyTo(states, u * size);
            }
            else
            {
                throw new UnknownUserException(users[u]);
            }
        }

        return states;
    }

    /// <summary>
    /// The state rows that score the records of <paramref name="pairs"/>: one row per user, then one per distinct
    /// direction that records carry. A user whose every record names its own direction needs no state (a named
    /// direction without history is DPA's point), so only users with an undirected record are resolved.
    /// </summary>
    /// <param name="pairs">The records.</param>
    /// <param name="options">Cold start and direction (a direction in the options overrides the records' own).</param>
    /// <param name="cancellationToken">Cancels the store read.</param>
    /// <returns>The rows and, per record, the row that scores it.</returns>
    public async Task<StateRows> ResolvePairRowsAsync(PreferenceDataset pairs, ScoringOptions options, CancellationToken cancellationToken)
    {
        var rowOfRecord = pairs.UserIndices.ToArray();
        var ownDirections = pairs.HasDirections && options.Direction is null;
        bool[]? needed = null;
        if (ownDirections)
        {
            needed = new bool[pairs.Users.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                if (pairs.DirectionAt(i) is null)
                {
                    needed[rowOfRecord[i]] = true;
                }
            }
        }

        var userStates = await ResolveAsync(pairs.Users, options, needed, cancellationToken).ConfigureAwait(false);
        var rowCount = pairs.Users.Count;
        if (!ownDirections)
        {
            return new StateRows(userStates, rowCount, rowOfRecord);
        }

        var rows = new List<float>(userStates);
        var directionRows = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < pairs.Count; i++)
        {
            if (pairs.DirectionAt(i) is not { } direction)
            {
                continue;
            }

            var key = string.Join(',', direction.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:R}"));
            if (!directionRows.TryGetValue(key, out var row))
            {
                row = rowCount++;
                rows.AddRange(method.DirectionState(direction));
                directionRows[key] = row;
            }

            rowOfRecord[i] = row;
        }

        return new StateRows([.. rows], rowCount, rowOfRecord);
    }

    private void CheckBelongs(UserId user, UserState state, int size)
    {
        if (state.ModelKind != info.Kind || state.ModelFingerprint != fingerprint)
        {
            throw new UserStateMismatchException(user, $"{info.Kind}@{UserState.ShortFingerprint(fingerprint)}", state.ModelTag);
        }

        if (state.Vector.Length != size)
        {
            throw new UserStateMismatchException(user, $"{info.Kind} with {size}-float states", $"a state of {state.Vector.Length} floats");
        }
    }
}

/// <summary>State rows to score records with.</summary>
/// <param name="Values">Count x state-size floats, row-major.</param>
/// <param name="Count">The number of rows.</param>
/// <param name="RowOfRecord">Per record, the row that scores it.</param>
internal sealed record StateRows(float[] Values, int Count, int[] RowOfRecord);
