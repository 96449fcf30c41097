namespace Pluralistic.Storage.PostgreSql;

/// <summary>Where in a PostgreSQL database a <see cref="PostgreSqlUserStateStore"/> keeps its states.</summary>
public sealed record PostgreSqlUserStateStoreOptions
{
    /// <summary>The schema the store's tables live in unless <see cref="Schema"/> says otherwise.</summary>
    public const string DefaultSchema = "pluralistic";

    /// <summary>The scope of a store unless <see cref="Scope"/> says otherwise.</summary>
    public const string DefaultScope = "default";

    /// <summary>The longest <see cref="Scope"/>.</summary>
    public const int MaxScopeLength = 200;

    /// <summary>
    /// The PostgreSQL schema that holds the store's tables (<c>schema_version</c>, <c>user_states</c>); created when
    /// absent. Lower-case letters, digits and underscores, starting with a letter or an underscore, at most 63
    /// characters.
    /// </summary>
    public string Schema { get; init; } = DefaultSchema;

    /// <summary>
    /// Which states this store sees: stores with different scopes share the tables but never each other's rows (the
    /// command line uses one scope per run). 1 to <see cref="MaxScopeLength"/> characters.
    /// </summary>
    public string Scope { get; init; } = DefaultScope;
}
