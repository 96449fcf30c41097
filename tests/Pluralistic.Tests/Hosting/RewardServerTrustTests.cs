using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Samples.RewardServer;

namespace Pluralistic.Tests.Hosting;

/// <summary>
/// The reward server's trust model on a real Kestrel: keys with scopes and a user binding, a rate limit per key, a
/// new-user budget per key, problem details that name a malformed body's problem, and a demo run kept across restarts.
/// </summary>
public sealed class RewardServerTrustTests : IClassFixture<TextRunFixture>, IAsyncLifetime
{
    private const string Prompt = "Which pet should I get?";
    private readonly TextRunFixture _fixture;
    private WebApplication? _app;
    private Uri? _address;

    public RewardServerTrustTests(TextRunFixture fixture) => _fixture = fixture;

    private string Alice => _fixture.Population.SeenUsers[0].Value;

    private string Bob => _fixture.Population.SeenUsers[1].Value;

    public async Task InitializeAsync()
    {
        var run = _fixture.CopyRun("trust-" + Guid.NewGuid().ToString("N"));
        _app = await StartAsync(o =>
        {
            o.RunDirectory = run;
            o.ApiKeys.Add("admin-key");
            o.Keys.Add(Key("alice-key", "alice", k => { k.Users.Add(Alice); k.Scopes.Add("score"); k.Scopes.Add("feedback"); }));
            o.Keys.Add(Key("alice-score-key", "alice-score", k => { k.Users.Add(Alice); k.Scopes.Add("score"); }));
            o.Keys.Add(Key("tenant-key", "tenant", k => { k.UserPrefix = "t1-"; k.MaxNewUsers = 2; }));
            o.Keys.Add(Key("slow-key", "slow", k => { k.Users.Add(Alice); k.PermitsPerWindow = 3; }));

            // A window far longer than any test: the limit cannot be refilled while the test runs.
            o.RateLimitWindowSeconds = 3600;
        });
        _address = Address(_app);
    }

    public async Task DisposeAsync() => await StopAsync(_app);

    private static ApiKeyOptions Key(string secret, string name, Action<ApiKeyOptions> configure)
    {
        var key = new ApiKeyOptions { Key = secret, Name = name };
        configure(key);
        return key;
    }

    private static async Task<WebApplication> StartAsync(Action<RewardServerOptions> configure)
    {
        var app = await RewardServerApp.BuildAsync(["--urls", "http://127.0.0.1:0"], configure);
        await app.StartAsync();
        return app;
    }

    private static Uri Address(WebApplication app) => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    private static async Task StopAsync(WebApplication? app)
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private HttpClient Client(string key, Uri? address = null)
    {
        var client = new HttpClient { BaseAddress = address ?? _address };
        client.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, key);
        return client;
    }

    private static Task<HttpResponseMessage> ScoreAsync(HttpClient client, string user) =>
        client.PostAsJsonAsync(new Uri("/score", UriKind.Relative), new { user_id = user, prompt = Prompt, candidates = new[] { "A cat.", "A dog." } });

    private static Task<HttpResponseMessage> FeedbackAsync(HttpClient client, string user) =>
        client.PostAsJsonAsync(new Uri("/feedback", UriKind.Relative), new { user_id = user, prompt = Prompt, chosen = "Get a dog.", rejected = "Get a cat." });

    private static async Task<string> TitleAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("title").GetString()!;
    }

    [Fact]
    public async Task A_user_key_acts_on_its_own_user_only()
    {
        using var alice = Client("alice-key");

        Assert.Equal(HttpStatusCode.OK, (await ScoreAsync(alice, Alice)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await FeedbackAsync(alice, Alice)).StatusCode);

        var scoreBob = await ScoreAsync(alice, Bob);
        Assert.Equal(HttpStatusCode.Forbidden, scoreBob.StatusCode);
        Assert.Contains($"may not act on user '{Bob}'", await TitleAsync(scoreBob), StringComparison.Ordinal);

        // Poisoning another user's state and deleting another user are refused, and change nothing.
        using var admin = Client("admin-key");
        var before = await (await ScoreAsync(admin, Bob)).Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await FeedbackAsync(alice, Bob)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.DeleteAsync(new Uri($"/users/{Bob}", UriKind.Relative))).StatusCode);
        Assert.Equal(before, await (await ScoreAsync(admin, Bob)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_key_reaches_only_the_endpoints_of_its_scopes()
    {
        using var scoreOnly = Client("alice-score-key");
        using var alice = Client("alice-key");

        Assert.Equal(HttpStatusCode.OK, (await ScoreAsync(scoreOnly, Alice)).StatusCode);
        var feedback = await FeedbackAsync(scoreOnly, Alice);
        Assert.Equal(HttpStatusCode.Forbidden, feedback.StatusCode);
        Assert.Contains("does not have the 'feedback' scope", await TitleAsync(feedback), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.DeleteAsync(new Uri($"/users/{Alice}", UriKind.Relative))).StatusCode);

        using var unknown = Client("no-such-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await ScoreAsync(unknown, Alice)).StatusCode);
    }

    [Fact]
    public async Task A_tenant_key_creates_users_under_its_prefix_up_to_its_budget()
    {
        using var tenant = Client("tenant-key");

        Assert.Equal(HttpStatusCode.OK, (await FeedbackAsync(tenant, "t1-a")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await FeedbackAsync(tenant, "t1-b")).StatusCode);
        var third = await FeedbackAsync(tenant, "t1-c");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("limit of 2 new users", await TitleAsync(third), StringComparison.Ordinal);

        // Existing users of the tenant still take feedback; users outside the prefix are not the key's.
        Assert.Equal(HttpStatusCode.OK, (await FeedbackAsync(tenant, "t1-a")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await FeedbackAsync(tenant, "t2-a")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await tenant.DeleteAsync(new Uri("/users/t1-b", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Each_key_has_its_own_rate_limit()
    {
        using var slow = Client("slow-key");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ScoreAsync(slow, Alice)).StatusCode);
        }

        var limited = await ScoreAsync(slow, Alice);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("3600", limited.Headers.GetValues("Retry-After").Single());
        Assert.Contains("too many requests", await TitleAsync(limited), StringComparison.Ordinal);

        // Another key is not affected.
        using var alice = Client("alice-key");
        Assert.Equal(HttpStatusCode.OK, (await ScoreAsync(alice, Alice)).StatusCode);
    }

    [Theory]
    [InlineData("{\"user_id\": \"u\", \"candidates\": [\"a\",", "line 1")]
    [InlineData("{\"user_id\": 5, \"candidates\": [\"a\"]}", "$.user_id")]
    [InlineData("{\n  \"user_id\": \"u\",\n  \"candidates\": [\"a\", 7]\n}", "line 3")]
    public async Task Malformed_json_gets_problem_details_naming_the_problem(string body, string named)
    {
        using var admin = Client("admin-key");
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await admin.PostAsync(new Uri("/score", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = json.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("invalid JSON", detail, StringComparison.Ordinal);
        Assert.Contains(named, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_bound_to_no_user_and_not_admin_is_refused_at_start()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RewardServerApp.BuildAsync(["--urls", "http://127.0.0.1:0"], o =>
        {
            o.RunDirectory = _fixture.Run;
            o.Keys.Add(new ApiKeyOptions { Key = "k", Name = "loose" });
        }));

        Assert.Contains("'loose' is not an admin key and is bound to no user", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_run_is_reused_at_restart_so_feedback_survives()
    {
        await StopAsync(_app);
        _app = null;
        var demo = _fixture.CopyRun("demo-" + Guid.NewGuid().ToString("N"));
        var weights = File.ReadAllBytes(Path.Combine(demo, "weights.bin"));
        void Demo(RewardServerOptions o)
        {
            o.DemoDirectory = demo;
            o.ApiKeys.Add("admin-key");
        }

        var first = await StartAsync(Demo);
        try
        {
            using var client = Client("admin-key", Address(first));
            Assert.Equal(HttpStatusCode.OK, (await FeedbackAsync(client, "remembered")).StatusCode);
        }
        finally
        {
            await StopAsync(first);
        }

        var second = await StartAsync(Demo);
        try
        {
            using var client = Client("admin-key", Address(second));
            using var score = JsonDocument.Parse(await (await ScoreAsync(client, "remembered")).Content.ReadAsStringAsync());
            Assert.True(score.RootElement.GetProperty("personalized").GetBoolean(), "the user's feedback survived the restart");
        }
        finally
        {
            await StopAsync(second);
        }

        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(demo, "weights.bin")));
    }
}
