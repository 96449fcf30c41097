using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pluralistic.Storage.PostgreSql;

namespace Pluralistic;

/// <summary>Registers the PostgreSQL user state store in an application's service container.</summary>
public static class PostgreSqlServiceCollectionExtensions
{
    /// <summary>The configuration key of the connection string in a store's section.</summary>
    public const string ConnectionStringKey = "ConnectionString";

    /// <summary>
    /// Registers a <see cref="PostgreSqlUserStateStore"/> as the application's <see cref="IUserStateStore"/>
    /// (singleton; its connection pool is disposed with the container).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="configure">Configures the schema and scope.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPostgreSqlUserStateStore(
        this IServiceCollection services, string connectionString, Func<PostgreSqlUserStateStoreOptions, PostgreSqlUserStateStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = configure?.Invoke(new PostgreSqlUserStateStoreOptions()) ?? new PostgreSqlUserStateStoreOptions();
        services.TryAddSingleton<IUserStateStore>(_ => new PostgreSqlUserStateStore(connectionString, options));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="PostgreSqlUserStateStore"/> from a configuration section with the keys
    /// <c>ConnectionString</c> (required), <c>Schema</c> and <c>Scope</c> (optional), for example the
    /// <c>"UserStates"</c> section of <c>appsettings.json</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section.</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentException">The section has no connection string.</exception>
    public static IServiceCollection AddPostgreSqlUserStateStore(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var connectionString = section[ConnectionStringKey];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var path = section is IConfigurationSection named ? named.Path : "the configuration";
            throw new ArgumentException($"{path} has no '{ConnectionStringKey}' for the PostgreSQL user state store.", nameof(section));
        }

        return services.AddPostgreSqlUserStateStore(connectionString, options => options with
        {
            Schema = section[nameof(PostgreSqlUserStateStoreOptions.Schema)] ?? options.Schema,
            Scope = section[nameof(PostgreSqlUserStateStoreOptions.Scope)] ?? options.Scope,
        });
    }
}
