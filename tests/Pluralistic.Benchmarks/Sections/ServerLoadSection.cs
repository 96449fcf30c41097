using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Evaluation;
using Pluralistic.Samples.RewardServer;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The reward server under load: POST /score for one user with 16 candidates, from concurrent HTTP/1.1 clients over
/// loopback to a real Kestrel, for a fixed time. The demo run with the sentence encoder is measured twice — candidates
/// the server has embedded before (its embedding cache answers) and new candidate texts in every request (each one
/// encoded) — and the demo run with the hashed generator on new texts beside it. Reports throughput, latency
/// percentiles and errors.
/// </summary>
internal sealed class ServerLoadSection : BenchmarkSection
{
    private const int Candidates = 16;

    public override string Id => "server";

    public override string Title => "Reward server under load";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var duration = TimeSpan.FromSeconds(context.Quick ? 3 : 20);
        var concurrency = 32;
        var table = new MarkdownTable()
            .AddColumn("model")
            .AddColumn("text embedder")
            .AddColumn("candidates")
            .AddColumn("requests", ColumnAlignment.Right)
            .AddColumn("errors", ColumnAlignment.Right)
            .AddColumn("requests / s", ColumnAlignment.Right)
            .AddColumn("p50 ms", ColumnAlignment.Right)
            .AddColumn("p95 ms", ColumnAlignment.Right)
            .AddColumn("p99 ms", ColumnAlignment.Right)
            .AddColumn("max ms", ColumnAlignment.Right);
        var load = EmbeddingSection.LoadAverage();
        Uri? address = null;
        foreach (var embedder in new[] { Runs.TextEmbedderKinds.MiniLm, Runs.TextEmbedderKinds.Hashed })
        {
            var run = Path.Combine(Path.GetTempPath(), "pluralistic-bench-server-run-" + embedder);
            context.Log($"  server: training the demo model ({embedder})");
            await Pluralistic.Runs.TextDemoRun.TrainAsync(run, textEmbedder: embedder, cancellationToken: cancellationToken).ConfigureAwait(false);

            await using var app = await RewardServerApp.BuildAsync(
                ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"],
                o =>
                {
                    o.RunDirectory = run;
                    o.ApiKeys.Add("bench");
                    // One trusted load generator: the per-key rate limit (RewardServer:PermitsPerWindow) would measure the limiter.
                    o.PermitsPerWindow = int.MaxValue;
                },
                cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
            var kind = app.Services.GetRequiredService<IUserRewardModel>().Metadata.Kind;

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            using var client = new HttpClient(handler) { BaseAddress = address };
            client.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, "bench");
            var workloads = embedder == Runs.TextEmbedderKinds.MiniLm ? new[] { false, true } : [true];
            foreach (var fresh in workloads)
            {
                // Warm up (JIT, connection pool, model load, caches), then measure.
                await LoadAsync(client, "/score", Body(fresh), concurrency, TimeSpan.FromSeconds(context.Quick ? 1 : 3), cancellationToken).ConfigureAwait(false);
                context.Log($"  server: {embedder}, {(fresh ? "new" : "repeated")} candidates, {concurrency} clients for {duration.TotalSeconds:F0} s");
                var (latencies, errors, elapsed) = await LoadAsync(client, "/score", Body(fresh), concurrency, duration, cancellationToken).ConfigureAwait(false);
                latencies.Sort();
                double Percentile(double p) => SortedPercentile(latencies, p);
                table.AddRow(
                    kind,
                    embedder,
                    fresh ? "new texts every request" : "repeated (cached)",
                    latencies.Count.ToString("N0", CultureInfo.InvariantCulture),
                    errors.ToString(CultureInfo.InvariantCulture),
                    (latencies.Count / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture),
                    Ms(Percentile(0.50)),
                    Ms(Percentile(0.95)),
                    Ms(Percentile(0.99)),
                    Ms(latencies.Count == 0 ? double.NaN : latencies[^1]));
            }

            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"`samples/RewardServer` on Kestrel at {address} (loopback), serving the demo run (`TextDemoRun`: the {Pluralistic.Runs.TextDemoRun.DefaultKind} model on the text preset), once trained with the sentence encoder (all-MiniLM-L6-v2, 384-d, the default) and once with the hashed n-gram generator (512-d), with the server's production middleware (logging, metrics, user-state cache, in-memory embedding cache) and libtorch at 1 thread. {concurrency} concurrent HTTP/1.1 clients in the same process post `/score` (one seen user, {Candidates} candidate replies, one admin API key with its rate limit lifted: the load generator is a trusted client, and the default of 600 requests per minute per key would measure the limiter) back to back for {duration.TotalSeconds:F0} s after a warm-up; every non-200 answer counts as an error. *Repeated* candidates are the same 16 replies in every request (after the first, the embedding cache answers: the cost of scoring alone); *new texts* are 16 replies never sent before in every request, so each is encoded (the cost of embedding them). Server and clients share the machine's {Environment.ProcessorCount} cores; load (1-minute average) when the section started: {load}.");
        text.AppendLine();
        text.AppendLine(table.ToString());
        return text.ToString();
    }

    private static Func<long, object> Body(bool fresh) => request => new
    {
        user_id = "user-0001",
        prompt = "Which pet should I get?",
        candidates = Enumerable.Range(0, Candidates).Select(i => (fresh ? $"Reply {request}-{i}. " : $"Candidate {i % 4}: ") + (i % 2 == 0 ? "Sure! Get a dog: loyal and playful. Enjoy!" : "Happy to help. A cat is calm, independent and easy to care for.")).ToArray(),
    };

    /// <summary>Milliseconds with two decimals.</summary>
    internal static string Ms(double milliseconds) => milliseconds.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>The <paramref name="p"/> quantile (nearest rank) of sorted latencies; NaN when there are none.</summary>
    internal static double SortedPercentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>
    /// Posts to <paramref name="path"/> from <paramref name="concurrency"/> clients back to back for
    /// <paramref name="duration"/>: the latencies of the 200 answers, the count of the others, and the time taken.
    /// </summary>
    internal static async Task<(List<double> Latencies, int Errors, TimeSpan Elapsed)> LoadAsync(HttpClient client, string path, Func<long, object> body, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>[concurrency];
        var errors = 0;
        var requests = 0L;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = [];
            while (stopwatch.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body(Interlocked.Increment(ref requests)), cancellationToken).ConfigureAwait(false);
                    await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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
        }).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (latencies.SelectMany(l => l).ToList(), errors, stopwatch.Elapsed);
    }
}
