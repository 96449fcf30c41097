using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Evaluation;
using Pluralistic.Samples.RewardServer;
using Pluralistic.Text;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// POST /feedback under load on one reward server (its run's LiteDB store): a new pair in every request, for many
/// users (a new user in every request) and for one hot user from 16 connections; then the model's own time to adapt
/// one pair of the hot user, one call at a time, to show what bounds the hot user's latency.
/// </summary>
internal sealed class FeedbackLoadSection : BenchmarkSection
{
    private const int Clients = 16;
    private const string HotUser = "hot-user";

    public override string Id => "feedback";

    public override string Title => "Reward server: /feedback under load";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var duration = TimeSpan.FromSeconds(context.Quick ? 3 : 20);
        var table = new MarkdownTable()
            .AddColumn("users")
            .AddColumn("clients", ColumnAlignment.Right)
            .AddColumn("requests", ColumnAlignment.Right)
            .AddColumn("errors", ColumnAlignment.Right)
            .AddColumn("requests / s", ColumnAlignment.Right)
            .AddColumn("p50 ms", ColumnAlignment.Right)
            .AddColumn("p95 ms", ColumnAlignment.Right)
            .AddColumn("p99 ms", ColumnAlignment.Right)
            .AddColumn("max ms", ColumnAlignment.Right);
        var load = EmbeddingSection.LoadAverage();
        var run = Directory.CreateTempSubdirectory("pluralistic-bench-feedback-");
        try
        {
            context.Log("  feedback: training the demo model (hashed)");
            await Pluralistic.Runs.TextDemoRun.TrainAsync(run.FullName, textEmbedder: Runs.TextEmbedderKinds.Hashed, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var app = await RewardServerApp.BuildAsync(
                ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"],
                o =>
                {
                    o.RunDirectory = run.FullName;
                    o.ApiKeys.Add("bench");
                    o.PermitsPerWindow = int.MaxValue;

                    // The many-users row creates thousands of users: the default new-user budget per key would end it in 429s.
                    o.MaxNewUsersPerKey = int.MaxValue;
                },
                cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
            var model = app.Services.GetRequiredService<IUserRewardModel>();

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            using var client = new HttpClient(handler) { BaseAddress = address };
            client.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, "bench");

            // Warm up (JIT, connections, model load), then measure.
            await ServerLoadSection.LoadAsync(client, "/feedback", i => Body($"warm-{i}", i), Clients, TimeSpan.FromSeconds(context.Quick ? 1 : 3), cancellationToken).ConfigureAwait(false);
            foreach (var (name, user) in new (string, Func<long, string>)[] { ("many (a new user every request)", i => $"user-{i:D7}"), ("one hot user", _ => HotUser) })
            {
                context.Log($"  feedback: {name}, {Clients} clients for {duration.TotalSeconds:F0} s");
                var (latencies, errors, elapsed) = await ServerLoadSection.LoadAsync(client, "/feedback", i => Body(user(i), i), Clients, duration, cancellationToken).ConfigureAwait(false);
                latencies.Sort();
                table.AddRow(
                    name,
                    Clients.ToString(CultureInfo.InvariantCulture),
                    latencies.Count.ToString("N0", CultureInfo.InvariantCulture),
                    errors.ToString(CultureInfo.InvariantCulture),
                    (latencies.Count / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture),
                    ServerLoadSection.Ms(ServerLoadSection.SortedPercentile(latencies, 0.50)),
                    ServerLoadSection.Ms(ServerLoadSection.SortedPercentile(latencies, 0.95)),
                    ServerLoadSection.Ms(ServerLoadSection.SortedPercentile(latencies, 0.99)),
                    ServerLoadSection.Ms(latencies.Count == 0 ? double.NaN : latencies[^1]));
            }

            // What one adaptation of the hot user costs the model itself (embedding, inference, commit), one at a time.
            var pairs = (await model.GetRequiredService<IUserStateStoreAccessor>().UserStates.GetAsync(new UserId(HotUser), cancellationToken).ConfigureAwait(false))?.PairCount ?? 0;
            var alone = new List<double>();
            for (var i = 0; i < (context.Quick ? 20 : 200); i++)
            {
                var started = Stopwatch.GetTimestamp();
                await model.RecordFeedbackAsync(new UserId(HotUser), "Which pet should I get?", $"Get a dog, reason alone-{i}.", $"Get a cat, reason alone-{i}.", cancellationToken).ConfigureAwait(false);
                alone.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            alone.Sort();
            await app.StopAsync(cancellationToken).ConfigureAwait(false);

            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"`samples/RewardServer` on Kestrel at 127.0.0.1 serving the demo run (`TextDemoRun`: the {model.Metadata.Kind} model on the text preset, hashed n-gram embedder, its LiteDB store, user-state cache, libtorch at 1 thread). {Clients} concurrent HTTP/1.1 clients in the same process post `/feedback` (a pair never sent before in every request, one admin API key with its rate limit and new-user budget lifted) back to back for {duration.TotalSeconds:F0} s after a warm-up; every non-200 answer counts as an error (a 409 included). *Many users*: every request names a new user (embed, infer from one pair, commit a new state). *One hot user*: every request names the same user; the server holds no lock while the model infers: a user's pairs queue and are adapted in batches (one adaptation per user at a time, committed by compare-and-swap), so concurrent pairs share an adaptation.");
            text.AppendLine();
            text.AppendLine(table.ToString());
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"The model alone, after the load: {alone.Count} pairs of the hot user (then at {pairs:N0} pairs) recorded one at a time with `RecordFeedbackAsync` (embed, read, infer from the retained evidence, commit): median {ServerLoadSection.Ms(ServerLoadSection.SortedPercentile(alone, 0.5))} ms, p99 {ServerLoadSection.Ms(ServerLoadSection.SortedPercentile(alone, 0.99))} ms. A hot user's request waits for at most the adaptation in flight and then its own batch's, so its p99 is bound by about twice this. Server and clients share the machine's {Environment.ProcessorCount} cores; load (1-minute average) when the section started: {load}.");
            return text.ToString();
        }
        finally
        {
            run.Delete(recursive: true);
        }
    }

    private static object Body(string user, long i) => new
    {
        user_id = user,
        prompt = "Which pet should I get?",
        chosen = $"Get a dog, reason {i}: loyal and playful.",
        rejected = $"Get a cat, reason {i}: calm and independent.",
    };
}
