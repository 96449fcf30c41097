using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using static Pluralistic.UserStateArguments;

namespace Pluralistic.Storage.PostgreSql;

/// <summary>
/// User states in PostgreSQL, shared by any number of processes: stateless scorers and adapters over one database.
/// </summary>
/// <remarks>
/// <para>
/// The store creates its schema on first use (<see cref="PostgreSqlUserStateStoreOptions.Schema"/>: a
/// <c>schema_version</c> table and a <c>user_states</c> table), migrates an older one forward and refuses a newer one
/// with a <see cref="UserStateStoreException"/>. Rows are keyed by (<see cref="PostgreSqlUserStateStoreOptions.Scope"/>,
/// user): stores with different scopes share the tables and never see each other's states.
/// </para>
/// <para>
/// <see cref="UpdateAsync"/> is optimistic: it reads the row with its <c>row_version</c> (a counter only the store
/// bumps, on every write), runs the update without holding anything, and writes only if the row is still at that
/// version (a compare-and-swap in one statement); otherwise it reads again and retries. No update is lost however many
/// processes write the same user; no lock is held while the caller's function runs.
/// </para>
/// <para>
/// <see cref="GetManyAsync"/> is one query over an array of keys; <see cref="UpsertManyAsync"/> sends states in
/// chunks of arrays (<c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE</c>) inside one transaction, so a
/// batch is written whole or not at all. Connections come from an <see cref="NpgsqlDataSource"/> (Npgsql's pool); every
/// call honours its cancellation token. Every state carries a <see cref="UserStateChecksum"/>, verified on read.
/// </para>
/// </remarks>
public sealed class PostgreSqlUserStateStore : IUserStateStore
{
    // Rows per statement of a batched write: big enough to amortize the round trip, small enough to keep one
    // statement's parameters (a few MB) modest.
    private const int WriteChunk = 2048;

    // Rows per page of a listing (keyset pagination: no cursor stays open across the awaits of the enumeration).
    private const int ListPage = 500;

    private const string Columns =
        "user_key, model_kind, model_fingerprint, layout, vector, evidence, evidence_count, pair_count, revision, created_ticks, updated_ticks, checksum, row_version";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgreSqlSchema _schema;
    private readonly string _scope;
    private readonly SemaphoreSlim _initialization = new(1, 1);
    private volatile bool _initialized;
    private int _disposed;

    /// <summary>Creates a store over its own connection pool.</summary>
    /// <param name="connectionString">An Npgsql connection string (<c>Host=...;Database=...;Username=...</c>).</param>
    /// <param name="options">Where the states live; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The connection string or the options are invalid.</exception>
    public PostgreSqlUserStateStore(string connectionString, PostgreSqlUserStateStoreOptions? options = null)
        : this(CreateDataSource(connectionString), options, ownsDataSource: true)
    {
    }

    /// <summary>Creates a store over an application's data source (its pool, its settings).</summary>
    /// <param name="dataSource">The data source.</param>
    /// <param name="options">Where the states live; defaults when <see langword="null"/>.</param>
    /// <param name="ownsDataSource">Whether disposing the store disposes the data source.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public PostgreSqlUserStateStore(NpgsqlDataSource dataSource, PostgreSqlUserStateStoreOptions? options = null, bool ownsDataSource = false)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new PostgreSqlUserStateStoreOptions();
        if (!PostgreSqlSchema.IsValidName(options.Schema))
        {
            throw new ArgumentException(
                $"'{options.Schema}' is not a valid schema name: use lower-case letters, digits and underscores, start with a letter or an underscore, at most 63 characters.",
                nameof(options));
        }

        if (string.IsNullOrEmpty(options.Scope) || options.Scope.Length > PostgreSqlUserStateStoreOptions.MaxScopeLength || options.Scope.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The scope must be 1 to {PostgreSqlUserStateStoreOptions.MaxScopeLength} characters without NUL.", nameof(options));
        }

        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _schema = new PostgreSqlSchema(options.Schema);
        _scope = options.Scope;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Name = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}/{options.Schema}.user_states[{options.Scope}]";
    }

    /// <summary>The store, for messages: server, database, table and scope (never credentials).</summary>
    public string Name { get; }

    /// <summary>The schema version the store writes.</summary>
    public static int SchemaVersion => PostgreSqlSchema.CurrentVersion;

    /// <summary>
    /// Creates or migrates the schema now rather than on first use (a host can call it at start-up to fail early).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    /// <exception cref="UserStateStoreException">The server cannot be reached, or its schema is newer or foreign.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_initialized)
        {
            return;
        }

        await _initialization.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await Guard("create or migrate the schema", async () =>
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    return await _schema.EnsureAsync(connection, Name, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initialization.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default)
    {
        ValidateUser(user);
        var rows = await ReadAsync([UserKey.Encode(user)], cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0].State;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var wanted = users.Distinct().ToList();
        foreach (var user in wanted)
        {
            ValidateUser(user, nameof(users));
        }

        var found = new Dictionary<UserId, UserState>(wanted.Count);
        if (wanted.Count == 0)
        {
            return found;
        }

        foreach (var row in await ReadAsync(wanted.ConvertAll(UserKey.Encode).ToArray(), cancellationToken).ConfigureAwait(false))
        {
            found[row.State.User] = row.State;
        }

        return found;
    }

    /// <inheritdoc />
    public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default)
    {
        ValidateState(state, nameof(state));
        return UpsertManyAsync([state], cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);

        // The last state of a repeated user wins (one statement cannot write a row twice).
        var latest = new Dictionary<UserId, UserState>();
        foreach (var state in states)
        {
            if (state is null)
            {
                throw new ArgumentException("The batch contains a null state.", nameof(states));
            }

            ValidateState(state, nameof(states));
            latest[state.User] = state;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (latest.Count == 0)
        {
            return;
        }

        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var batch = latest.Values.ToList();
        await Guard("write states", async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = batch.Count > WriteChunk ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
            for (var start = 0; start < batch.Count; start += WriteChunk)
            {
                await using var command = UpsertCommand(batch.GetRange(start, Math.Min(WriteChunk, batch.Count - start)), connection, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Optimistic: the update may run more than once when other writers (threads or processes) change the user in
    /// between; nothing is locked while it runs.
    /// </remarks>
    public async ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
    {
        ValidateUser(user);
        ArgumentNullException.ThrowIfNull(update);
        var key = UserKey.Encode(user);
        while (true)
        {
            var rows = await ReadAsync([key], cancellationToken).ConfigureAwait(false);
            var current = rows.Count == 0 ? null : rows[0];
            var next = update(current?.State);
            if (next is not null)
            {
                ValidateState(next, nameof(update));
                if (next.User != user)
                {
                    throw new ArgumentException($"update returned a state of user '{next.User}' for user '{user}'", nameof(update));
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (next is null && current is null)
            {
                return null;
            }

            var written = await Guard("update a state", async () =>
            {
                await using var command = next is null
                    ? DeleteCommand(key, current!.RowVersion)
                    : current is null ? InsertCommand(next) : CompareAndSwapCommand(next, current.RowVersion);
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            }).ConfigureAwait(false);
            if (written)
            {
                return next;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default)
    {
        ValidateUser(user);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await Guard("delete a state", async () =>
        {
            await using var command = DeleteCommand(UserKey.Encode(user), rowVersion: null);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await Guard("count states", async () =>
        {
            await using var command = Command($"SELECT count(*) FROM {_schema.States} WHERE scope = $1", _scope);
            return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UserState> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        byte[]? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var last = after;
            var page = await Guard("list states", async () =>
            {
                await using var command = last is null
                    ? Command($"SELECT {Columns} FROM {_schema.States} WHERE scope = $1 ORDER BY user_key LIMIT {ListPage}", _scope)
                    : Command($"SELECT {Columns} FROM {_schema.States} WHERE scope = $1 AND user_key > $2 ORDER BY user_key LIMIT {ListPage}", _scope, last);
                return await ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            foreach (var row in page)
            {
                yield return row.State;
            }

            if (page.Count < ListPage)
            {
                yield break;
            }

            after = page[^1].Key;
        }
    }

    /// <summary>Releases the store (and its pool, when the store created it).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _initialization.Dispose();
            if (_ownsDataSource)
            {
                _dataSource.Dispose();
            }
        }
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            return NpgsqlDataSource.Create(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }
    }

    private async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<Row>> ReadAsync(byte[][] keys, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await Guard("read states", async () =>
        {
            await using var command = keys.Length == 1
                ? Command($"SELECT {Columns} FROM {_schema.States} WHERE scope = $1 AND user_key = $2", _scope, keys[0])
                : Command($"SELECT {Columns} FROM {_schema.States} WHERE scope = $1 AND user_key = ANY($2)", _scope, keys);
            return await ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task<List<Row>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<Row>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(ToRow(reader));
        }

        return rows;
    }

    private Row ToRow(NpgsqlDataReader reader)
    {
        var key = reader.GetFieldValue<byte[]>(0);
        string id;
        try
        {
            id = UserKey.Decode(key);
        }
        catch (FormatException e)
        {
            throw Malformed(Convert.ToHexString(key), e.Message);
        }

        if (UserId.Validate(id) is { } problem)
        {
            throw Malformed(id, problem);
        }

        UserState state;
        try
        {
            state = new UserState
            {
                User = new UserId(id),
                ModelKind = reader.GetString(1),
                ModelFingerprint = reader.GetString(2),
                SchemaVersion = reader.GetInt32(3),
                Vector = FloatBytes.ToFloats(reader.GetFieldValue<byte[]>(4)),
                Evidence = FloatBytes.ToFloats(reader.GetFieldValue<byte[]>(5)),
                EvidenceCount = reader.GetInt32(6),
                PairCount = reader.GetInt32(7),
                Revision = reader.GetInt64(8),
                CreatedUtc = ToUtc(reader.GetInt64(9)),
                UpdatedUtc = ToUtc(reader.GetInt64(10)),
            };
        }
        catch (FormatException e)
        {
            throw Malformed(id, e.Message);
        }

        UserStateChecksum.Verify(state, reader.GetFieldValue<byte[]>(11), Name);
        return new Row(key, state, reader.GetInt64(12));
    }

    private static DateTimeOffset ToUtc(long ticks) =>
        ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : throw new FormatException($"{ticks} is not a valid UTC tick count");

    private UserStateStoreException Malformed(string id, string problem) =>
        new($"The user state store '{Name}' is corrupt: the state of user '{id}' is malformed ({problem}).");

    private NpgsqlCommand UpsertCommand(List<UserState> states, NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        var n = states.Count;
        var keys = new byte[n][];
        var kinds = new string[n];
        var fingerprints = new string[n];
        var layouts = new int[n];
        var vectors = new byte[n][];
        var evidence = new byte[n][];
        var evidenceCounts = new int[n];
        var pairCounts = new int[n];
        var revisions = new long[n];
        var created = new long[n];
        var updated = new long[n];
        var checksums = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            var s = states[i];
            keys[i] = UserKey.Encode(s.User);
            kinds[i] = s.ModelKind;
            fingerprints[i] = s.ModelFingerprint;
            layouts[i] = s.SchemaVersion;
            vectors[i] = FloatBytes.ToBytes(s.Vector.Span);
            evidence[i] = FloatBytes.ToBytes(s.Evidence.Span);
            evidenceCounts[i] = s.EvidenceCount;
            pairCounts[i] = s.PairCount;
            revisions[i] = s.Revision;
            created[i] = s.CreatedUtc.UtcTicks;
            updated[i] = s.UpdatedUtc.UtcTicks;
            checksums[i] = UserStateChecksum.Compute(s);
        }

        var command = new NpgsqlCommand(
            $"""
            INSERT INTO {_schema.States} AS t (scope, {Columns})
            SELECT $1, k, mk, fp, l, v, e, ec, pc, r, ct, ut, cs, 1
            FROM unnest($2::bytea[], $3::text[], $4::text[], $5::integer[], $6::bytea[], $7::bytea[], $8::integer[], $9::integer[],
                        $10::bigint[], $11::bigint[], $12::bigint[], $13::bytea[]) AS u(k, mk, fp, l, v, e, ec, pc, r, ct, ut, cs)
            ON CONFLICT (scope, user_key) DO UPDATE SET
                model_kind = excluded.model_kind, model_fingerprint = excluded.model_fingerprint, layout = excluded.layout,
                vector = excluded.vector, evidence = excluded.evidence, evidence_count = excluded.evidence_count,
                pair_count = excluded.pair_count, revision = excluded.revision, created_ticks = excluded.created_ticks,
                updated_ticks = excluded.updated_ticks, checksum = excluded.checksum, row_version = t.row_version + 1, written_at = now()
            """,
            connection,
            transaction);
        AddParameters(command, _scope, keys, kinds, fingerprints, layouts, vectors, evidence, evidenceCounts, pairCounts, revisions, created, updated, checksums);
        return command;
    }

    private NpgsqlCommand InsertCommand(UserState state) => Command(
        $"""
        INSERT INTO {_schema.States} (scope, {Columns})
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1)
        ON CONFLICT (scope, user_key) DO NOTHING
        """,
        StateValues(state));

    private NpgsqlCommand CompareAndSwapCommand(UserState state, long rowVersion) => Command(
        $"""
        UPDATE {_schema.States} SET
            model_kind = $3, model_fingerprint = $4, layout = $5, vector = $6, evidence = $7, evidence_count = $8, pair_count = $9,
            revision = $10, created_ticks = $11, updated_ticks = $12, checksum = $13, row_version = row_version + 1, written_at = now()
        WHERE scope = $1 AND user_key = $2 AND row_version = $14
        """,
        [.. StateValues(state), rowVersion]);

    private NpgsqlCommand DeleteCommand(byte[] key, long? rowVersion) => rowVersion is { } version
        ? Command($"DELETE FROM {_schema.States} WHERE scope = $1 AND user_key = $2 AND row_version = $3", _scope, key, version)
        : Command($"DELETE FROM {_schema.States} WHERE scope = $1 AND user_key = $2", _scope, key);

    private object[] StateValues(UserState state) =>
    [
        _scope,
        UserKey.Encode(state.User),
        state.ModelKind,
        state.ModelFingerprint,
        state.SchemaVersion,
        FloatBytes.ToBytes(state.Vector.Span),
        FloatBytes.ToBytes(state.Evidence.Span),
        state.EvidenceCount,
        state.PairCount,
        state.Revision,
        state.CreatedUtc.UtcTicks,
        state.UpdatedUtc.UtcTicks,
        UserStateChecksum.Compute(state),
    ];

    private NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = _dataSource.CreateCommand(sql);
        AddParameters(command, values);
        return command;
    }

    private static void AddParameters(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(value is byte[] bytes
                ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = bytes }
                : new NpgsqlParameter { Value = value });
        }
    }

    // Every use of Npgsql goes through here: server and network errors reach callers as UserStateStoreException
    // naming the store; cancellation and the store's own errors pass through.
    private async Task<T> Guard<T>(string operation, Func<Task<T>> action)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException || (e is InvalidOperationException && e is not ObjectDisposedException))
        {
            throw new UserStateStoreException($"The user state store '{Name}' could not {operation}: {e.Message}", e);
        }
    }

    private sealed record Row(byte[] Key, UserState State, long RowVersion);
}
