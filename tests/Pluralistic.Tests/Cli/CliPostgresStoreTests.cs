using System.Diagnostics;
using System.Text.Json;
using Pluralistic.Cli.Output;
using Pluralistic.Storage.PostgreSql;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Cli;

/// <summary>
/// <c>--store</c> / <c>PLURALISTIC_STORE</c>: a run's user states in PostgreSQL, scoped to the run, shared by processes.
/// </summary>
[RequiresPostgres]
public sealed class CliPostgresStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private string? _scope;

    public void Dispose()
    {
        _directory.Dispose();
        if (_scope is not null)
        {
            PostgresTests.ExecuteAsync($"DELETE FROM {PostgreSqlUserStateStoreOptions.DefaultSchema}.user_states WHERE scope = $1", _scope).GetAwaiter().GetResult();
        }
    }

    private string Path_(string name) => Path.Combine(_directory.Path, name);

    [StoreFact]
    public async Task Two_adapt_processes_on_one_run_and_store_work_side_by_side_and_keep_every_pair()
    {
        var store = PostgresTests.Required;
        var data = Path_("data");
        Assert.Equal(0, (await CliRunner.RunAsync("generate", "--out", data, "--seed", "5", "--seen-users", "20", "--unseen-users", "6", "--dimension", "8")).ExitCode);
        var run = Path_("run");
        // A seed of its own: the run's scope is named after its weights, and a rerun must not find this one's states.
        var seed = Random.Shared.Next(1, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var train = await CliRunner.RunAsync("train", "--model", "pal", "--data", Path.Combine(data, "train.jsonl"), "--out", run, "--epochs", "2", "--device", "cpu", "--seed", seed, "--store", store);
        Assert.True(train.ExitCode == 0, train.Error);
        var manifest = Checkpoint.ReadManifest(run);
        _scope = CliStore.Scope(manifest);
        var unseen = Path.Combine(data, "test_unseen.jsonl");
        var unseenPairs = File.ReadLines(unseen).Count();

        using var states = new PostgreSqlUserStateStore(store, new PostgreSqlUserStateStoreOptions { Scope = CliStore.Scope(manifest) });
        var trained = await ListAsync(states);
        Assert.Equal(20, trained.Count);

        // Before adapting, the unseen users are unknown to the run in the store.
        var before = await CliRunner.RunAsync("evaluate", "--run", run, "--data", unseen, "--store", store, "--json");
        Assert.NotEqual(0, before.ExitCode);
        Assert.Contains("unknown user", before.Error, StringComparison.Ordinal);

        // Two real processes adapt the same users at once; the store comes from the environment variable. users.db's
        // lock would refuse the second: with the store in PostgreSQL both run, and optimistic concurrency keeps both.
        var first = StartCli(store, "adapt", "--run", run, "--data", unseen, "--device", "cpu", "--json");
        var second = StartCli(store, "adapt", "--run", run, "--data", unseen, "--device", "cpu", "--json");
        foreach (var process in new[] { first, second })
        {
            var (exit, output, error) = await FinishAsync(process);
            Assert.True(exit == 0, error);
            Assert.Equal(unseenPairs, JsonDocument.Parse(output).RootElement.GetProperty("pairs").GetInt32());
        }

        var adapted = await ListAsync(states);
        Assert.Equal(26, adapted.Count);
        Assert.Equal(trained.Sum(s => s.PairCount) + (2 * unseenPairs), adapted.Sum(s => s.PairCount));

        // The run directory's users.db was not touched by the adaptations; scoring through the store now knows them.
        var after = await CliRunner.RunAsync("evaluate", "--run", run, "--data", unseen, "--store", store, "--json");
        Assert.True(after.ExitCode == 0, after.Error);
        Assert.Equal(unseenPairs, JsonDocument.Parse(after.Json).RootElement.GetProperty("metrics").GetProperty("count").GetInt32());
        var predict = await CliRunner.RunAsync("predict", "--run", run, "--data", unseen, "--out", Path_("p.jsonl"), "--store", store, "--json");
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.NotEqual(0, (await CliRunner.RunAsync("evaluate", "--run", run, "--data", unseen, "--json")).ExitCode);

        // Forgetting with the store removes the user from the database and from users.db (train wrote both).
        var forgotten = trained[0].User.Value;
        var forget = await CliRunner.RunAsync("forget", "--run", run, "--user", forgotten, "--store", store, "--json");
        Assert.True(forget.ExitCode == 0, forget.Error);
        Assert.DoesNotContain(await ListAsync(states), s => s.User.Value == forgotten);
        Assert.Equal(25, (await ListAsync(states)).Count);
        var again = await CliRunner.RunAsync("forget", "--run", run, "--user", forgotten, "--json");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("unknown user", again.Error, StringComparison.Ordinal);
    }

    private static async Task<List<UserState>> ListAsync(PostgreSqlUserStateStore store)
    {
        var list = new List<UserState>();
        await foreach (var state in store.ListAsync())
        {
            list.Add(state);
        }

        return list;
    }

    private static Process StartCli(string store, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Pluralistic.Cli"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[CliStore.Variable] = store;
        return Process.Start(info)!;
    }

    private static async Task<(int Exit, string Output, string Error)> FinishAsync(Process process)
    {
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            return (process.ExitCode, await output, await error);
        }
    }
}
