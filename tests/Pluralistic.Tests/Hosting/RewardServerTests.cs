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

/// <summary>The reward server sample on a real Kestrel bound to loopback.</summary>
public sealed class RewardServerTests : IClassFixture<TextRunFixture>, IAsyncLifetime
{
    private readonly TextRunFixture _fixture;
    private WebApplication? _app;
    private HttpClient? _client;

    public RewardServerTests(TextRunFixture fixture) => _fixture = fixture;

    private HttpClient Client => _client!;

    public async Task InitializeAsync()
    {
        var run = _fixture.CopyRun("server-" + Guid.NewGuid().ToString("N"));
        _app = await RewardServerApp.BuildAsync(["--urls", "http://127.0.0.1:0"], o =>
        {
            o.RunDirectory = run;
            o.ApiKeys.Add("test-key");
            o.MaxCandidates = 8;
            o.MaxRequestBytes = 16 * 1024;
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _client = new HttpClient { BaseAddress = new Uri(address) };
        _client.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, "test-key");
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Health_answers_without_a_key()
    {
        using var anonymous = new HttpClient { BaseAddress = Client.BaseAddress };
        using var json = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("/health", UriKind.Relative)));
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(_fixture.Population.SeenUsers.Count, json.RootElement.GetProperty("users").GetInt32());
    }

    [Fact]
    public async Task Score_ranks_candidates_for_a_seen_user()
    {
        var response = await PostAsync("/score", new
        {
            user_id = _fixture.Population.SeenUsers[0].Value,
            prompt = "Which pet should I get?",
            candidates = new[] { "Ugh. figure it out yourself.", "Sure! A cat is calm and independent. Enjoy!", "Happy to help. Get a dog: loyal and playful." },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("personalized").GetBoolean());
        Assert.Equal(3, json.RootElement.GetProperty("rewards").GetArrayLength());
        Assert.NotEqual(0, json.RootElement.GetProperty("best_index").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("ranking")[2].GetInt32());
    }

    [Fact]
    public async Task A_new_user_is_scored_at_population_level_then_personalised_after_feedback_and_forgotten()
    {
        const string User = "brand-new-user";
        var body = new { user_id = User, prompt = "Which pet should I get?", candidates = new[] { "A cat.", "A dog." } };
        using (var first = JsonDocument.Parse(await (await PostAsync("/score", body)).Content.ReadAsStringAsync()))
        {
            Assert.False(first.RootElement.GetProperty("personalized").GetBoolean());
        }

        var feedback = await PostAsync("/feedback", new { user_id = User, prompt = "Which pet should I get?", chosen = "Get a dog.", rejected = "Get a cat." });
        Assert.Equal(HttpStatusCode.OK, feedback.StatusCode);
        using (var json = JsonDocument.Parse(await feedback.Content.ReadAsStringAsync()))
        {
            Assert.True(json.RootElement.GetProperty("new_user").GetBoolean());
            Assert.Equal(1, json.RootElement.GetProperty("pairs").GetInt32());
        }

        using (var after = JsonDocument.Parse(await (await PostAsync("/score", body)).Content.ReadAsStringAsync()))
        {
            Assert.True(after.RootElement.GetProperty("personalized").GetBoolean());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync(new Uri($"/users/{User}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.DeleteAsync(new Uri($"/users/{User}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Concurrent_feedback_for_one_hot_user_from_16_tasks_keeps_every_pair()
    {
        const string User = "hot-user";
        const int Tasks = 16;
        const int PerTask = 4;
        var answers = await Task.WhenAll(Enumerable.Range(0, Tasks).Select(async t =>
        {
            var mine = new List<(HttpStatusCode Status, bool NewUser, int Pairs)>();
            for (var i = 0; i < PerTask; i++)
            {
                mine.Add(await FeedbackAsync(User, (t * PerTask) + i));
            }

            return mine;
        }));

        var all = answers.SelectMany(a => a).ToList();
        Assert.All(all, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(all, a => a.NewUser);
        Assert.Equal(Tasks * PerTask, all.Max(a => a.Pairs));

        // The state the server scores with (its cache) holds every pair, and one more pair lands on top of it.
        Assert.Equal(Tasks * PerTask, (await StoredAsync(User))!.PairCount);
        Assert.Equal((HttpStatusCode.OK, false, (Tasks * PerTask) + 1), await FeedbackAsync(User, 1000));
        Assert.Equal((Tasks * PerTask) + 1, (await StoredAsync(User))!.PairCount);
    }

    [Fact]
    public async Task Concurrent_feedback_for_many_users_keeps_each_users_pairs()
    {
        const int Users = 24;
        const int PerUser = 3;
        var answers = await Task.WhenAll(Enumerable.Range(0, Users * PerUser).Select(i => FeedbackAsync($"user-{i % Users}", i)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(Users, answers.Count(a => a.NewUser));
        for (var u = 0; u < Users; u++)
        {
            Assert.Equal(PerUser, (await StoredAsync($"user-{u}"))!.PairCount);
        }
    }

    [Fact]
    public async Task Requests_without_the_right_key_are_unauthorized()
    {
        using var anonymous = new HttpClient { BaseAddress = Client.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync(new Uri("/score", UriKind.Relative), new { user_id = "u" })).StatusCode);
        anonymous.DefaultRequestHeaders.Add(RewardServerApp.ApiKeyHeader, "test-kez");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync(new Uri("/users/u", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("""{"user_id":"","prompt":"p","candidates":["a"]}""", "user_id")]
    [InlineData("""{"user_id":"u","candidates":["a"]}""", "prompt")]
    [InlineData("""{"user_id":"u","prompt":"p","candidates":[]}""", "candidates")]
    [InlineData("""{"user_id":"u","prompt":"p","candidates":["a","b","c","d","e","f","g","h","i"]}""", "at most 8 candidates")]
    [InlineData("""{"user_id":"u","prompt":"p","candidates":["a","  "]}""", "candidates[1]")]
    public async Task Invalid_requests_get_a_400_naming_the_field(string body, string expected)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await Client.PostAsync(new Uri("/score", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_and_an_oversized_body_a_413()
    {
        using var malformed = new StringContent("{\"user_id\": ", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.PostAsync(new Uri("/score", UriKind.Relative), malformed)).StatusCode);
        using var huge = new StringContent($"{{\"user_id\":\"u\",\"prompt\":\"{new string('a', 40_000)}\",\"candidates\":[\"a\"]}}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Client.PostAsync(new Uri("/score", UriKind.Relative), huge)).StatusCode);
    }

    private Task<HttpResponseMessage> PostAsync<T>(string path, T body) => Client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);

    private async Task<(HttpStatusCode Status, bool NewUser, int Pairs)> FeedbackAsync(string user, int i)
    {
        using var response = await PostAsync("/feedback", new { user_id = user, prompt = "Which pet should I get?", chosen = $"Get a dog, reason {i}.", rejected = $"Get a cat, reason {i}." });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, false, 0);
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.GetProperty("new_user").GetBoolean(), json.RootElement.GetProperty("pairs").GetInt32());
    }

    private async Task<UserState?> StoredAsync(string user) =>
        await _app!.Services.GetRequiredService<IUserRewardModel>().GetRequiredService<IUserStateStoreAccessor>().UserStates.GetAsync(new UserId(user));
}
