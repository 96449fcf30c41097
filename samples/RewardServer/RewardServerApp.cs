using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pluralistic.Runs;
using Pluralistic.Storage.PostgreSql;
using Pluralistic.Text;

namespace Pluralistic.Samples.RewardServer;

/// <summary>
/// The reward server: a minimal API over one per-user reward model. POST /score ranks candidate replies for a user,
/// POST /feedback records a pick and adapts the user, DELETE /users/{id} forgets a user, GET /health. Every endpoint
/// but /health requires an API key (header <c>X-Api-Key</c>); bad requests get RFC 7807 problem details.
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
        if (options.ApiKeys.Count == 0 || options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException("RewardServer: configure at least one non-empty API key (e.g. --RewardServer:ApiKeys:0 <key>)");
        }

        var run = options.RunDirectory;
        if (string.IsNullOrWhiteSpace(run))
        {
            run = Path.Combine(Path.GetTempPath(), "pluralistic-reward-server-demo");
            await TextDemoRun.TrainAsync(run, textEmbedder: options.DemoEmbedder, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, RewardServerJsonContext.Default);
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(options);

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

        builder.Services.AddSingleton<UserLocks>();

        var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapGet("/health", async (IUserRewardModel model, CancellationToken token) =>
            TypedResults.Ok(new HealthResponse("ok", model.Metadata.Kind, await model.GetRequiredService<IUserStateStoreAccessor>().UserStates.CountAsync(token).ConfigureAwait(false))));

        var api = app.MapGroup(string.Empty).AddEndpointFilter(async (context, next) =>
            Authorized(context.HttpContext, options) ? await next(context).ConfigureAwait(false) : TypedResults.Problem(statusCode: 401, title: $"missing or unknown {ApiKeyHeader}"));
        api.MapPost("/score", ScoreAsync);
        api.MapPost("/feedback", FeedbackAsync);
        api.MapDelete("/users/{id}", ForgetAsync);
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
        FeedbackRequest request, IUserRewardModel model, RewardServerOptions options, UserLocks locks, CancellationToken cancellationToken)
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

        // One adaptation per user at a time in this process: concurrent feedback for one user then contends only with
        // other processes, whose commits the store's compare-and-swap detects (the pair is re-inferred, never lost).
        using var held = await locks.AcquireAsync(user, cancellationToken).ConfigureAwait(false);
        try
        {
            var adaptation = await model.RecordFeedbackAsync(user, request.Prompt, request.Chosen!, request.Rejected!, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new FeedbackResponse(user.Value, adaptation.IsNewUser, adaptation.State.PairCount));
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

    private static bool Authorized(HttpContext context, RewardServerOptions options)
    {
        if (!context.Request.Headers.TryGetValue(ApiKeyHeader, out var given) || given.Count != 1 || given[0] is not { Length: > 0 } key)
        {
            return false;
        }

        // Constant-time comparison, so response timing does not reveal how much of a key matched.
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var match = false;
        foreach (var accepted in options.ApiKeys)
        {
            match |= CryptographicOperations.FixedTimeEquals(keyBytes, Encoding.UTF8.GetBytes(accepted));
        }

        return match;
    }
}
