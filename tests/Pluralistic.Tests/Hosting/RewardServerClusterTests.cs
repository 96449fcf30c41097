using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pluralistic.Runs;
using Pluralistic.Samples.RewardServer;
using Pluralistic.Storage.PostgreSql;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Hosting;

/// <summary>
/// Two reward server processes on loopback over one PostgreSQL database, as deployed behind a load balancer:
/// feedback on one is scored on the other within the cache's bound, concurrent feedback for one user on both keeps
/// every pair, and killing one mid-load loses no acknowledged feedback.
/// </summary>
[RequiresPostgres]
public sealed partial class RewardServerClusterTests : IClassFixture<TextRunFixture>, IAsyncLifetime
{
    // The staleness bound the servers run with (RewardServer:CacheMaxAgeMilliseconds).
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(400);

    private readonly TextRunFixture _fixture;
    private readonly List<RewardServerProcess> _servers = [];
    private string _scope = "";

    public RewardServerClusterTests(TextRunFixture fixture) => _fixture = fixture;

    public async Task InitializeAsync()
    {
        // The fixture's run is deterministic, so its scope may hold states from an earlier test run: start empty.
        _scope = RunDirectory.StoreScope(Checkpoint.ReadManifest(_fixture.Run));
        await ClearScopeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        await ClearScopeAsync();
    }

    private async Task ClearScopeAsync()
    {
        // On a fresh database no server has created the table yet: the store creates its schema first.
        using (var store = new PostgreSqlUserStateStore(PostgresTests.Required, new PostgreSqlUserStateStoreOptions { Scope = _scope }))
        {
            await store.InitializeAsync();
        }

        await PostgresTests.ExecuteAsync($"DELETE FROM {PostgreSqlUserStateStoreOptions.DefaultSchema}.user_states WHERE scope = $1", _scope);
    }

    private async Task<RewardServerProcess> StartAsync()
    {
        var server = await RewardServerProcess.StartAsync(_fixture.Run, PostgresTests.Required, Bound);
        _servers.Add(server);
        return server;
    }

    private async Task<UserState?> StoredAsync(string user)
    {
        // The table is created by the servers; the test reads it as any other process would.
        using var store = new PostgreSqlUserStateStore(PostgresTests.Required, new PostgreSqlUserStateStoreOptions { Scope = _scope });
        return await store.GetAsync(new UserId(user));
    }

    private static object Feedback(string user, int i) => new
    {
        user_id = user,
        prompt = "Which pet should I get?",
        chosen = $"Get a dog, reason {i}.",
        rejected = $"Get a cat, reason {i}.",
    };

    private static readonly object ScoreBody = new { user_id = "shared-user", prompt = "Which pet should I get?", candidates = new[] { "A cat.", "A dog." } };

    [StoreFact]
    public async Task Feedback_on_one_server_is_scored_on_the_other_once_the_bound_has_passed()
    {
        var a = await StartAsync();
        var b = await StartAsync();

        // b caches that the user has no state yet.
        using (var before = await b.JsonAsync("/score", ScoreBody))
        {
            Assert.False(before.RootElement.GetProperty("personalized").GetBoolean());
        }

        Assert.Equal(HttpStatusCode.OK, (await a.PostAsync("/feedback", Feedback("shared-user", 0))).StatusCode);
        using var onA = await a.JsonAsync("/score", ScoreBody);
        Assert.True(onA.RootElement.GetProperty("personalized").GetBoolean());

        // Past the bound, b must have dropped its cached "no state" and score with a's state: the same rewards.
        await Task.Delay(Bound + TimeSpan.FromMilliseconds(100));
        using var onB = await b.JsonAsync("/score", ScoreBody);
        Assert.True(onB.RootElement.GetProperty("personalized").GetBoolean());
        Assert.Equal(Rewards(onA), Rewards(onB));
    }

    [StoreFact]
    public async Task Concurrent_feedback_for_one_user_on_two_servers_keeps_every_pair()
    {
        const int PerServer = 12;
        var servers = new[] { await StartAsync(), await StartAsync() };

        var calls = Enumerable.Range(0, 2 * PerServer).Select(i => servers[i % 2].SendFeedbackAsync(Feedback("hot-user", i))).ToList();
        var statuses = await Task.WhenAll(calls);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var state = await StoredAsync("hot-user");
        Assert.Equal(2 * PerServer, state!.PairCount);
    }

    [StoreFact]
    public async Task Killing_one_server_mid_load_loses_no_acknowledged_feedback_and_the_other_keeps_serving()
    {
        const int PerServer = 12;
        var victim = await StartAsync();
        var survivor = await StartAsync();
        var acknowledged = 0;
        var firstAck = new TaskCompletionSource();

        async Task Send(RewardServerProcess server, int i)
        {
            try
            {
                if (await server.SendFeedbackAsync(Feedback("load-user", i)) == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref acknowledged);
                    firstAck.TrySetResult();
                }
            }
            catch (HttpRequestException)
            {
                // The killed server's unanswered calls: not acknowledged, so nothing is promised about them.
            }
        }

        var load = Enumerable.Range(0, 2 * PerServer).Select(i => Send(i % 2 == 0 ? victim : survivor, i)).ToList();
        await firstAck.Task;
        victim.Kill();
        await Task.WhenAll(load);

        Assert.True(acknowledged >= PerServer, $"the surviving server acknowledged only part of its calls ({acknowledged} acknowledged in all)");
        var state = await StoredAsync("load-user");
        Assert.True(state!.PairCount >= acknowledged, $"{acknowledged} pairs were acknowledged but the store holds {state.PairCount}");
        Assert.Equal(HttpStatusCode.OK, await survivor.SendFeedbackAsync(Feedback("load-user", 1000)));
        Assert.Equal(state.PairCount + 1, (await StoredAsync("load-user"))!.PairCount);
    }

    private static float[] Rewards(JsonDocument score) =>
        score.RootElement.GetProperty("rewards").EnumerateArray().Select(r => r.GetSingle()).ToArray();

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>A reward server in a process of its own (the sample's executable beside the tests).</summary>
    private sealed class RewardServerProcess : IDisposable
    {
        private const string Key = "cluster-key";
        private readonly Process _process;

        private RewardServerProcess(Process process, Uri address)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            Client.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, Key);
        }

        public HttpClient Client { get; }

        public static async Task<RewardServerProcess> StartAsync(string run, string store, TimeSpan bound)
        {
            var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "RewardServer"))
            {
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in new[]
            {
                "--urls", "http://127.0.0.1:0",
                "--RewardServer:RunDirectory", run,
                "--RewardServer:Store", store,
                "--RewardServer:ApiKeys:0", Key,
                "--RewardServer:CacheMaxAgeMilliseconds", ((int)bound.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
            })
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info)!;
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    if (ListeningLine().Match(line) is { Success: true } match)
                    {
                        // Keep draining stdout so the server never blocks on a full pipe.
                        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                        return new RewardServerProcess(process, new Uri(match.Groups[1].Value));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"the reward server did not start: {await errors}");
        }

        public Task<HttpResponseMessage> PostAsync(string path, object body) => Client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);

        public async Task<JsonDocument> JsonAsync(string path, object body)
        {
            using var response = await PostAsync(path, body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        }

        /// <summary>Sends feedback, sending it again while the server answers 409 (the pair was not recorded).</summary>
        public async Task<HttpStatusCode> SendFeedbackAsync(object body)
        {
            for (var attempt = 0; ; attempt++)
            {
                using var response = await PostAsync("/feedback", body);
                if (response.StatusCode != HttpStatusCode.Conflict || attempt == 20)
                {
                    return response.StatusCode;
                }
            }
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            Client.Dispose();
            if (!_process.HasExited)
            {
                Kill();
            }

            _process.Dispose();
        }
    }
}
