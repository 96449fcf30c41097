using Npgsql;

namespace Pluralistic.Storage.PostgreSql;

/// <summary>
/// The store's tables and their versions. The store creates them on first use and migrates older versions forward,
/// one step at a time, inside one transaction under an advisory lock, so processes that start together do not race.
/// A schema newer than this SDK knows is refused, never changed.
/// </summary>
internal sealed class PostgreSqlSchema
{
    /// <summary>The schema version this SDK writes.</summary>
    public const int CurrentVersion = 1;

    private const string FormatName = "pluralistic-user-states";

    public PostgreSqlSchema(string schema)
    {
        Name = schema;
        Quoted = Quote(schema);
        States = $"{Quoted}.user_states";
        Versions = $"{Quoted}.schema_version";
    }

    /// <summary>The schema's name.</summary>
    public string Name { get; }

    /// <summary>The schema, quoted for SQL.</summary>
    public string Quoted { get; }

    /// <summary>The states table, qualified and quoted.</summary>
    public string States { get; }

    /// <summary>The version table, qualified and quoted.</summary>
    public string Versions { get; }

    /// <summary>
    /// The steps from version N-1 to N; index 0 creates version 1. Version 1: one row per (scope, user), the user as
    /// UTF-16BE bytes (ordinal order), vectors as little-endian float32 bytes, dates as UTC ticks (exact to the tick),
    /// the state's checksum, and <c>row_version</c>, which the store alone bumps on every write of the row: the
    /// compare-and-swap token of <see cref="IUserStateStore.UpdateAsync"/> (the state's own revision is the caller's
    /// and may repeat).
    /// </summary>
    private string[] Migrations =>
    [
        $"""
        CREATE TABLE {States} (
            scope text NOT NULL,
            user_key bytea NOT NULL,
            model_kind text NOT NULL,
            model_fingerprint text NOT NULL,
            layout integer NOT NULL,
            vector bytea NOT NULL,
            evidence bytea NOT NULL,
            evidence_count integer NOT NULL,
            pair_count integer NOT NULL,
            revision bigint NOT NULL,
            created_ticks bigint NOT NULL,
            updated_ticks bigint NOT NULL,
            checksum bytea NOT NULL,
            row_version bigint NOT NULL,
            written_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, user_key)
        )
        """,
    ];

    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 63 }
        && (char.IsAsciiLetterLower(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    /// <summary>Creates or migrates the tables; returns the version found before.</summary>
    /// <exception cref="UserStateStoreException">The schema is newer than this SDK, or not the store's.</exception>
    public async Task<int> EnsureAsync(NpgsqlConnection connection, string storeName, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext($1))", cancellationToken, $"pluralistic:{Name}").ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {Quoted}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(
            connection,
            transaction,
            $"CREATE TABLE IF NOT EXISTS {Versions} (id integer PRIMARY KEY CHECK (id = 1), name text NOT NULL, version integer NOT NULL)",
            cancellationToken).ConfigureAwait(false);

        var (name, found) = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (name is not null && name != FormatName)
        {
            throw new UserStateStoreException(
                $"The user state store '{storeName}' is not a Pluralistic store: {Versions} names the format '{name}', not '{FormatName}'.");
        }

        if (found > CurrentVersion)
        {
            throw new UserStateStoreException(
                $"The user state store '{storeName}' has schema version {found}; this version of Pluralistic reads up to {CurrentVersion}. Upgrade Pluralistic; the store was left unchanged.");
        }

        if (found < CurrentVersion)
        {
            for (var version = found + 1; version <= CurrentVersion; version++)
            {
                await ExecuteAsync(connection, transaction, Migrations[version - 1], cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(
                connection,
                transaction,
                $"INSERT INTO {Versions} (id, name, version) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                cancellationToken,
                FormatName,
                CurrentVersion).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return found;
    }

    private async Task<(string? Name, int Version)> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT name, version FROM {Versions} WHERE id = 1", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetString(0), reader.GetInt32(1)) : (null, 0);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string identifier) => $"\"{identifier}\"";
}
