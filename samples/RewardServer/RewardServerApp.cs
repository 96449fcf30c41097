using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pluralistic.Runs;
using Pluralistic.Storage.PostgreSql;
using Pluralistic.Text;

namespace Pluralistic.Samples.RewardServer;

/// <summary>
/// The reward server: a minimal API over one per-user reward model. POST /score ranks candidate replies for a user,
/// POST /feedback records a pick and adapts the user, DELETE /users/{id} forgets a user, GET /health. Every endpoint
/// but /health requires an API key (header <c>X-Api-Key</c>) with the endpoint's scope, bound to the user named (see
/// <see cref="ApiKeyAccess"/>), and is rate limited per key; bad requests get RFC 7807 problem details.
/// </summary>
public static class RewardServerApp
{
    /// <summary>The API key header.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>Builds the application (configuration from <paramref name="args"/>, environment and appsettings).</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls http://127.0.0.1:5080 --RewardServer:ApiKeys:0 secret</c>.</param>
    /// <param name="configure">Adjusts the options after configuration binding (tests).</param>
    /// <param name="cancellationToken">Cancels start-up (training the demo model).</param>
    /// <returns>The application, not yet started.</returns>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<RewardServerOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var options = new RewardServerOptions();
        builder.Configuration.GetSection("RewardServer").Bind(options);
        options.Store ??= builder.Configuration.GetConnectionString("UserStates");
        configure?.Invoke(options);
        var access = ApiKeyAccess.From(options);
        var run = options.RunDirectory;
        if (string.IsNullOrWhiteSpace(run))
        {
            // The demo run is trained once and then reused: feedback recorded in it survives a restart.
            run = string.IsNullOrWhiteSpace(options.DemoDirectory)
                ? Path.Combine(Path.GetTempPath(), $"pluralistic-reward-server-demo-{options.DemoEmbedder}")
                : options.DemoDirectory;
            if (!File.Exists(Path.Combine(run, Pluralistic.Torch.Checkpoint.ManifestFile)))
            {
                await TextDemoRun.TrainAsync(run, textEmbedder: options.DemoEmbedder, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, RewardServerJsonContext.Default);
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(options);
        access.AddServices(builder.Services, options);

        // One libtorch thread: requests are the parallelism, and libtorch's threads would compete with the thread pool.
        builder.Services.AddPluralistic(o => (o.Device, o.Threads) = ("cpu", 1));
        // Writable: /feedback adapts users and DELETE /users/{id} forgets them, both persisted in the run's store.
        var model = builder.Services.AddUserRewardModel(run, o =>
        {
            o.ReadOnly = false;
            if (!string.IsNullOrWhiteSpace(options.Store))
            {
                o.UserStateStore = manifest => new PostgreSqlUserStateStore(options.Store, new PostgreSqlUserStateStoreOptions { Scope = RunDirectory.StoreScope(manifest) });
            }
        }).UseLogging().UseMetrics();
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            model.UseUserStateCache();
        }
        else
        {
            // Other servers write the same states: cached copies expire, bounding staleness (docs/deployment.md).
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.CacheMaxAgeMilliseconds);
            model.UseUserStateCache(10_000, TimeSpan.FromMilliseconds(options.CacheMaxAgeMilliseconds));
        }

        builder.Services.AddSingleton(services => new FeedbackBatcher(services.GetRequiredService<IUserRewardModel>(), sharedStore: !string.IsNullOrWhiteSpace(options.Store)));

        var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();

        app.MapGet("/health", async (IUserRewardModel model, CancellationToken token) =>
            TypedResults.Ok(new HealthResponse("ok", model.Metadata.Kind, await model.GetRequiredService<IUserStateStoreAccessor>().UserStates.CountAsync(token).ConfigureAwait(false))));

        // Every endpoint but /health: a key with the endpoint's scope, acting on users it is bound to, rate limited per key.
        var api = app.MapGroup(string.Empty).AddEndpointFilter(access.FilterAsync).RequireRateLimiting(ApiKeyAccess.RateLimitPolicy);
        api.MapPost("/score", ScoreAsync).WithMetadata(new ApiScope(ApiKeyAccess.Score));
        api.MapPost("/feedback", FeedbackAsync).WithMetadata(new ApiScope(ApiKeyAccess.Feedback));
        api.MapDelete("/users/{id}", ForgetAsync).WithMetadata(new ApiScope(ApiKeyAccess.Forget));
        return app;
    }

    private static async Task<Results<Ok<ScoreResponse>, ValidationProblem, ProblemHttpResult>> ScoreAsync(
        ScoreRequest request, IUserRewardModel model, RewardServerOptions options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var user = CheckUser(request.UserId, errors);
        CheckText("prompt", request.Prompt, options, errors, required: model.Metadata.PromptDimension > 0);
        if (request.Candidates is not { Count: > 0 } candidates)
        {
            errors["candidates"] = ["give at least one candidate reply"];
        }
        else if (candidates.Count > options.MaxCandidates)
        {
            errors["candidates"] = [$"at most {options.MaxCandidates} candidates per request (got {candidates.Count})"];
        }
        else
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                CheckText($"candidates[{i}]", candidates[i], options, errors, required: true);
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        IReadOnlyList<RankedCandidate> ranked;
        var personalized = true;
        try
        {
            ranked = await model.RankAsync(user, request.Prompt, request.Candidates!, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (UnknownUserException) when (options.ColdStart)
        {
            personalized = false;
            ranked = await model.RankAsync(user, request.Prompt, request.Candidates!, new ScoringOptions { AllowColdStart = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (UnknownUserException ex)
        {
            return TypedResults.Problem(statusCode: 404, title: ex.Message);
        }

        var rewards = new float[ranked.Count];
        foreach (var candidate in ranked)
        {
            rewards[candidate.Index] = candidate.Reward;
        }

        return TypedResults.Ok(new ScoreResponse(user.Value, personalized, rewards, ranked[0].Index, ranked.Select(c => c.Index).ToList()));
    }

    private static async Task<Results<Ok<FeedbackResponse>, ValidationProblem, ProblemHttpResult>> FeedbackAsync(
        FeedbackRequest request, IUserRewardModel model, RewardServerOptions options, FeedbackBatcher feedback, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var user = CheckUser(request.UserId, errors);
        CheckText("prompt", request.Prompt, options, errors, required: model.Metadata.PromptDimension > 0);
        CheckText("chosen", request.Chosen, options, errors, required: true);
        CheckText("rejected", request.Rejected, options, errors, required: true);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // No lock held while the model infers: the pair joins its user's next adaptation, which commits by
        // compare-and-swap and retries when another writer (another server) committed first (see FeedbackBatcher).
        try
        {
            var (adaptation, newUser) = await feedback.RecordAsync(user, request.Prompt, request.Chosen!, request.Rejected!, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new FeedbackResponse(user.Value, newUser, adaptation.State.PairCount));
        }
        catch (UserStateConflictException ex)
        {
            // Not recorded: the client may send the pair again.
            return TypedResults.Problem(statusCode: 409, title: ex.Message);
        }
    }

    private static async Task<Results<NoContent, NotFound, ValidationProblem>> ForgetAsync(string id, IUserRewardModel model, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var user = CheckUser(id, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await model.ForgetUserAsync(user, cancellationToken).ConfigureAwait(false) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static UserId CheckUser(string? id, Dictionary<string, string[]> errors)
    {
        if (UserId.Validate(id) is { } problem)
        {
            errors["user_id"] = [problem];
            return default;
        }

        return new UserId(id!);
    }

    private static void CheckText(string field, string? text, RewardServerOptions options, Dictionary<string, string[]> errors, bool required)
    {
        if (text is null)
        {
            if (required)
            {
                errors[field] = ["is required"];
            }
        }
        else if (string.IsNullOrWhiteSpace(text))
        {
            errors[field] = ["is empty"];
        }
        else if (text.Length > options.MaxTextLength)
        {
            errors[field] = [$"is longer than {options.MaxTextLength} characters ({text.Length})"];
        }
    }
}
