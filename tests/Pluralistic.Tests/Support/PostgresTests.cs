using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Pluralistic.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use: the Npgsql connection string in <c>PLURALISTIC_TEST_POSTGRES</c>, which
/// <c>.ci/run</c> sets after starting a throw-away cluster (<c>.ci/postgres.sh start</c>). Without it the tests of a
/// class marked <see cref="RequiresPostgresAttribute"/> are reported as skipped with <see cref="SkipReason"/>.
/// </summary>
public static class PostgresTests
{
    public const string Variable = "PLURALISTIC_TEST_POSTGRES";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static string? SkipReason => ConnectionString is null
        ? $"{Variable} is not set: start a server with `eval \"$(.ci/postgres.sh start)\"` (CI does) to run the PostgreSQL tests"
        : null;

    public static string Required => ConnectionString ?? throw new InvalidOperationException(SkipReason);

    /// <summary>A fresh schema name, so each test class instance starts from an empty database.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N");

    public static async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var dataSource = NpgsqlDataSource.Create(Required);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    public static void DropSchema(string schema)
    {
        if (ConnectionString is not null)
        {
            ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").GetAwaiter().GetResult();
        }
    }
}

/// <summary>Marks a test class whose <see cref="StoreFactAttribute"/> tests need <see cref="PostgresTests"/>' server.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresPostgresAttribute : Attribute;

/// <summary>
/// A fact that is skipped, with the reason, when its test class (the concrete one: contract suites are inherited) is
/// marked <see cref="RequiresPostgresAttribute"/> and no server is configured.
/// </summary>
[XunitTestCaseDiscoverer("Pluralistic.Tests.Support.StoreFactDiscoverer", "Pluralistic.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute)).Any()
            ? new PostgresTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)
            : base.CreateTestCase(discoveryOptions, testMethod, factAttribute);
}

/// <summary>A test case that is skipped when no PostgreSQL server is configured (decided where it runs).</summary>
public sealed class PostgresTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public PostgresTestCase()
    {
    }

    public PostgresTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    protected override string? GetSkipReason(IAttributeInfo factAttribute) => PostgresTests.SkipReason ?? base.GetSkipReason(factAttribute);
}
