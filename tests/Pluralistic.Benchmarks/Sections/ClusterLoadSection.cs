using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Evaluation;
using Pluralistic.Samples.RewardServer;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Two reward servers over one PostgreSQL store under load from a bounded client: mixed /score and /feedback for a pool
/// of users, spread over both servers; then the staleness actually observed: feedback on one server, and how long until
/// the other scores with it.
/// </summary>
internal sealed class ClusterLoadSection : BenchmarkSection
{
    private const int Clients = 16;
    private const int Users = 200;
    private const int FeedbackEvery = 10;
    private const int CacheMaxAgeMs = 1000;

    public override string Id => "cluster";

    public override string Title => "Two reward servers over one PostgreSQL store";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var store = Environment.GetEnvironmentVariable(StoreThroughputSection.PostgresVariable);
        if (string.IsNullOrWhiteSpace(store))
        {
            return $"Not measured: {StoreThroughputSection.PostgresVariable} was not set (start a server with `eval \"$(.ci/postgres.sh start)\"` and run the section again).";
        }

        var duration = TimeSpan.FromSeconds(context.Quick ? 3 : 20);
        var load = EmbeddingSection.LoadAverage();
        var run = Path.Combine(Path.GetTempPath(), "pluralistic-bench-cluster-run");
        context.Log("  cluster: training the demo model (hashed)");
        await Runs.TextDemoRun.TrainAsync(run, textEmbedder: Runs.TextEmbedderKinds.Hashed, cancellationToken: cancellationToken).ConfigureAwait(false);

        // Users are named after a fresh tag: the demo run is deterministic, so its scope keeps earlier runs' users.
        await using var a = await StartAsync(run, store, cancellationToken).ConfigureAwait(false);
        await using var b = await StartAsync(run, store, cancellationToken).ConfigureAwait(false);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients };
        using var clientA = Client(handler, a);
        using var clientB = Client(handler, b);
        HttpClient[] servers = [clientA, clientB];
        var tag = Guid.NewGuid().ToString("N")[..8];

        context.Log($"  cluster: warm-up, then {Clients} clients for {duration.TotalSeconds:F0} s");
        await LoadAsync(servers, tag + "-warm", TimeSpan.FromSeconds(context.Quick ? 1 : 3), cancellationToken).ConfigureAwait(false);
        var measured = await LoadAsync(servers, tag, duration, cancellationToken).ConfigureAwait(false);

        context.Log("  cluster: staleness probes");
        var probes = context.Quick ? 5 : 20;
        var staleness = new List<double>();
        for (var i = 0; i < probes; i++)
        {
            staleness.Add(await ProbeAsync(clientA, clientB, $"probe-{tag}-{i}", cancellationToken).ConfigureAwait(false));
        }

        staleness.Sort();
        var table = new MarkdownTable()
            .AddColumn("requests", ColumnAlignment.Right)
            .AddColumn("of which /feedback", ColumnAlignment.Right)
            .AddColumn("errors", ColumnAlignment.Right)
            .AddColumn("requests / s", ColumnAlignment.Right)
            .AddColumn("p50 ms", ColumnAlignment.Right)
            .AddColumn("p99 ms", ColumnAlignment.Right)
            .AddColumn("max ms", ColumnAlignment.Right);
        var latencies = measured.Latencies;
        latencies.Sort();
        table.AddRow(
            latencies.Count.ToString("N0", CultureInfo.InvariantCulture),
            measured.Feedback.ToString("N0", CultureInfo.InvariantCulture),
            measured.Errors.ToString(CultureInfo.InvariantCulture),
            (latencies.Count / measured.Elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture),
            Ms(Percentile(latencies, 0.50)),
            Ms(Percentile(latencies, 0.99)),
            Ms(latencies.Count == 0 ? double.NaN : latencies[^1]));

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Two instances of `samples/RewardServer` (each its own model, user-state cache and connection pool, in one process here; the tests run them as two processes) on Kestrel at 127.0.0.1, serving the demo run (hashed n-gram embedder) with `RewardServer:Store` pointing both at one PostgreSQL database and `CacheMaxAgeMilliseconds` = {CacheMaxAgeMs} (the staleness bound). {Clients} concurrent HTTP/1.1 clients alternate between the two servers, back to back for {duration.TotalSeconds:F0} s after a warm-up, over {Users} users with one admin API key whose rate limit is lifted: every {FeedbackEvery}th request is a `/feedback` (a new pair, adapting the user and writing its state), the others `/score` with 4 candidates; every non-200 answer counts as an error. Load (1-minute average) when the section started: {load}.");
        text.AppendLine();
        text.AppendLine(table.ToString());
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Staleness observed, {probes} probes after the load: server B scores a new user (caching that it has no state), the user's feedback is acknowledged by server A, then B is asked every 10 ms until it scores the user with A's state. Time from A's acknowledgement to B's first personalised score: median {Ms(Percentile(staleness, 0.5))} ms, max {Ms(staleness[^1])} ms (bound: {CacheMaxAgeMs} ms plus one request).");
        return text.ToString();
    }

    private static HttpClient Client(SocketsHttpHandler handler, WebApplication app)
    {
        var client = new HttpClient(handler, disposeHandler: false)
        {
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()),
        };
        client.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, "bench");
        return client;
    }

    private static async Task<WebApplication> StartAsync(string run, string store, CancellationToken cancellationToken)
    {
        var app = await RewardServerApp.BuildAsync(
            // Scores of users without a state yet fall back to the population (cold start); the model logs each as an error.
            ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning", "--Logging:LogLevel:Pluralistic", "None"],
            o =>
            {
                o.RunDirectory = run;
                o.Store = store;
                o.CacheMaxAgeMilliseconds = CacheMaxAgeMs;
                o.ApiKeys.Add("bench");
                // One trusted load generator: the per-key rate limit (RewardServer:PermitsPerWindow) would measure the limiter.
                o.PermitsPerWindow = int.MaxValue;
            },
            cancellationToken).ConfigureAwait(false);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return app;
    }

    private static object Score(string user) => new { user_id = user, prompt = "Which pet should I get?", candidates = new[] { "A cat.", "A dog.", "A fish.", "No pet." } };

    private static object Feedback(string user, long i) => new
    {
        user_id = user,
        prompt = "Which pet should I get?",
        chosen = $"Get a dog ({i}): loyal and playful.",
        rejected = $"Get a cat ({i}): calm and independent.",
    };

    private static async Task<(List<double> Latencies, int Errors, int Feedback, TimeSpan Elapsed)> LoadAsync(HttpClient[] servers, string tag, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>[Clients];
        var errors = 0;
        var feedback = 0;
        var requests = 0L;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async worker =>
        {
            var mine = latencies[worker] = [];
            while (stopwatch.Elapsed < duration)
            {
                var n = Interlocked.Increment(ref requests);
                var user = $"{tag}-user-{n * 7919 % Users}";
                var isFeedback = n % FeedbackEvery == 0;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await servers[n % 2].PostAsJsonAsync(
                        new Uri(isFeedback ? "/feedback" : "/score", UriKind.Relative), isFeedback ? Feedback(user, n) : Score(user), cancellationToken).ConfigureAwait(false);
                    await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (isFeedback)
                        {
                            Interlocked.Increment(ref feedback);
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ConfigureAwait(false);
        return (latencies.SelectMany(l => l).ToList(), errors, feedback, stopwatch.Elapsed);
    }

    private static async Task<double> ProbeAsync(HttpClient a, HttpClient b, string user, CancellationToken cancellationToken)
    {
        _ = await PersonalizedAsync(b, user, cancellationToken).ConfigureAwait(false);
        using (var response = await a.PostAsJsonAsync(new Uri("/feedback", UriKind.Relative), Feedback(user, 0), cancellationToken).ConfigureAwait(false))
        {
            response.EnsureSuccessStatusCode();
        }

        var acknowledged = Stopwatch.StartNew();
        while (!await PersonalizedAsync(b, user, cancellationToken).ConfigureAwait(false))
        {
            if (acknowledged.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"server B never saw the feedback for {user}");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return acknowledged.Elapsed.TotalMilliseconds;
    }

    private static async Task<bool> PersonalizedAsync(HttpClient server, string user, CancellationToken cancellationToken)
    {
        using var response = await server.PostAsJsonAsync(new Uri("/score", UriKind.Relative), Score(user), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return json.RootElement.GetProperty("personalized").GetBoolean();
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Ms(double milliseconds) => milliseconds.ToString("F1", CultureInfo.InvariantCulture);
}
