using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Pluralistic.Samples.RewardServer;

/// <summary>One API key and what it may do (configuration <c>RewardServer:Keys:N</c>).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The secret sent in the <c>X-Api-Key</c> header.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>A name for logs and rate-limit partitions (never the secret); <c>key-N</c> when empty.</summary>
    public string? Name { get; set; }

    /// <summary>An admin key acts on every user with every scope.</summary>
    public bool Admin { get; set; }

    /// <summary>The user ids a non-admin key may act on.</summary>
    public IList<string> Users { get; } = [];

    /// <summary>A user-id prefix (a tenant, e.g. <c>acme/</c>) a non-admin key may act on.</summary>
    public string? UserPrefix { get; set; }

    /// <summary>What the key may do: <c>score</c>, <c>feedback</c>, <c>forget</c>; all three when empty.</summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>Requests per rate-limit window for this key; <see cref="RewardServerOptions.PermitsPerWindow"/> when null.</summary>
    public int? PermitsPerWindow { get; set; }

    /// <summary>Users this key may create through <c>/feedback</c>; <see cref="RewardServerOptions.MaxNewUsersPerKey"/> when null.</summary>
    public int? MaxNewUsers { get; set; }
}

/// <summary>
/// The server's trust model: who holds which key, what each key may do to which users, and how much. A request
/// presents a key; the key's scopes say which endpoints it reaches, its user binding which user ids it may name, its
/// rate limit how often it may ask (ASP.NET Core's rate limiter, one partition per key), and its new-user budget how
/// many users it may create. Plain <see cref="RewardServerOptions.ApiKeys"/> are admin keys.
/// </summary>
internal sealed class ApiKeyAccess
{
    public const string Score = "score";
    public const string Feedback = "feedback";
    public const string Forget = "forget";
    public const string RateLimitPolicy = "per-key";
    private const string UnauthenticatedPartition = "(no valid key)";
    private static readonly string[] AllScopes = [Score, Feedback, Forget];

    private readonly List<Key> _keys;

    private ApiKeyAccess(List<Key> keys) => _keys = keys;

    /// <summary>Builds and checks the keys of the configuration.</summary>
    /// <exception cref="InvalidOperationException">No key, an empty or repeated key, an unknown scope, or a non-admin key bound to no user.</exception>
    public static ApiKeyAccess From(RewardServerOptions options)
    {
        var configured = options.ApiKeys.Select(k => new ApiKeyOptions { Key = k, Admin = true }).Concat(options.Keys).ToList();
        if (configured.Count == 0)
        {
            throw new InvalidOperationException("RewardServer: configure at least one API key (e.g. --RewardServer:ApiKeys:0 <admin key>, or RewardServer:Keys with scopes)");
        }

        var keys = new List<Key>();
        for (var i = 0; i < configured.Count; i++)
        {
            var key = configured[i];
            var name = string.IsNullOrWhiteSpace(key.Name) ? $"key-{i}" : key.Name;
            if (string.IsNullOrWhiteSpace(key.Key))
            {
                throw new InvalidOperationException($"RewardServer: API key '{name}' is empty");
            }

            if (keys.Any(k => CryptographicOperations.FixedTimeEquals(k.Secret, Encoding.UTF8.GetBytes(key.Key))))
            {
                throw new InvalidOperationException($"RewardServer: API key '{name}' repeats another key");
            }

            var unknown = key.Scopes.Except(AllScopes, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidOperationException($"RewardServer: API key '{name}' has unknown scopes {string.Join(", ", unknown)} (known: {string.Join(", ", AllScopes)})");
            }

            if (!key.Admin && key.Users.Count == 0 && string.IsNullOrEmpty(key.UserPrefix))
            {
                throw new InvalidOperationException($"RewardServer: API key '{name}' is not an admin key and is bound to no user: give it Users or a UserPrefix, or Admin = true");
            }

            keys.Add(new Key(
                name,
                Encoding.UTF8.GetBytes(key.Key),
                key.Admin,
                new HashSet<string>(key.Users, StringComparer.Ordinal),
                key.UserPrefix,
                new HashSet<string>(key.Scopes.Count == 0 || key.Admin ? AllScopes : key.Scopes, StringComparer.Ordinal),
                key.PermitsPerWindow ?? options.PermitsPerWindow,
                key.MaxNewUsers ?? options.MaxNewUsersPerKey));
        }

        return new ApiKeyAccess(keys);
    }

    /// <summary>Registers the rate limiter (one fixed window per key) and the problem details for malformed bodies.</summary>
    public void AddServices(IServiceCollection services, RewardServerOptions options)
    {
        var window = TimeSpan.FromSeconds(options.RateLimitWindowSeconds);
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RateLimitPolicy, http =>
            {
                var key = Find(http);

                // Requests without a valid key share one small partition: guessing keys is rate limited too.
                return RateLimitPartition.GetFixedWindowLimiter(
                    key?.Name ?? UnauthenticatedPartition,
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = key?.PermitsPerWindow ?? options.UnauthenticatedPermitsPerWindow, Window = window, QueueLimit = 0 });
            });
            limiter.OnRejected = async (context, token) =>
            {
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.Headers.RetryAfter = ((int)window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "too many requests for this API key",
                        Detail = $"this key may make {Find(context.HttpContext)?.PermitsPerWindow ?? options.UnauthenticatedPermitsPerWindow} requests per {window.TotalSeconds:0} s",
                    },
                }).ConfigureAwait(false);
            };
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestProblems>();
    }

    /// <summary>
    /// The endpoint filter: a known key, a scope it holds, a user it may act on, and (for <c>/feedback</c> creating a
    /// user) room in its new-user budget; 401, 403 or 429 problem details otherwise.
    /// </summary>
    public async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (Find(http) is not { } key)
        {
            return TypedResults.Problem(statusCode: 401, title: $"missing or unknown {RewardServerApp.ApiKeyHeader}");
        }

        var scope = http.GetEndpoint()?.Metadata.GetMetadata<ApiScope>()?.Name;
        if (scope is null || !key.Scopes.Contains(scope))
        {
            return TypedResults.Problem(statusCode: 403, title: $"the API key '{key.Name}' does not have the '{scope}' scope");
        }

        var user = context.Arguments.Select(a => a switch
        {
            ScoreRequest score => score.UserId,
            FeedbackRequest feedback => feedback.UserId,
            string id => id,
            _ => null,
        }).FirstOrDefault(u => u is not null);
        if (user is null || UserId.Validate(user) is not null)
        {
            // The handler reports a missing or invalid user id with its validation problem.
            return await next(context).ConfigureAwait(false);
        }

        if (!key.MayActOn(user))
        {
            return TypedResults.Problem(statusCode: 403, title: $"the API key '{key.Name}' may not act on user '{user}'");
        }

        if (scope != Feedback)
        {
            return await next(context).ConfigureAwait(false);
        }

        var store = http.RequestServices.GetRequiredService<IUserRewardModel>().GetRequiredService<IUserStateStoreAccessor>().UserStates;
        if (await store.GetAsync(new UserId(user), http.RequestAborted).ConfigureAwait(false) is not null)
        {
            return await next(context).ConfigureAwait(false);
        }

        if (!key.TryReserveNewUser())
        {
            return TypedResults.Problem(statusCode: 429, title: $"the API key '{key.Name}' has created its limit of {key.MaxNewUsers} new users");
        }

        object? result;
        try
        {
            result = await next(context).ConfigureAwait(false);
        }
        catch
        {
            key.ReleaseNewUser();
            throw;
        }

        // Only a user the handler actually created counts against the budget.
        var created = result is INestedHttpResult { Result: Ok<FeedbackResponse> { Value.NewUser: true } } or Ok<FeedbackResponse> { Value.NewUser: true };
        if (!created)
        {
            key.ReleaseNewUser();
        }

        return result;
    }

    private Key? Find(HttpContext http)
    {
        if (!http.Request.Headers.TryGetValue(RewardServerApp.ApiKeyHeader, out var given) || given.Count != 1 || given[0] is not { Length: > 0 } presented)
        {
            return null;
        }

        // Constant-time comparison with every key, so response timing does not reveal how much of a key matched.
        var bytes = Encoding.UTF8.GetBytes(presented);
        Key? found = null;
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(bytes, key.Secret))
            {
                found = key;
            }
        }

        return found;
    }

    private sealed class Key(string name, byte[] secret, bool admin, HashSet<string> users, string? prefix, HashSet<string> scopes, int permits, int maxNewUsers)
    {
        private int _newUsers;

        public string Name { get; } = name;

        public byte[] Secret { get; } = secret;

        public HashSet<string> Scopes { get; } = scopes;

        public int PermitsPerWindow { get; } = permits;

        public int MaxNewUsers { get; } = maxNewUsers;

        public bool MayActOn(string user) =>
            admin || users.Contains(user) || (!string.IsNullOrEmpty(prefix) && user.StartsWith(prefix, StringComparison.Ordinal));

        public bool TryReserveNewUser()
        {
            if (Interlocked.Increment(ref _newUsers) <= MaxNewUsers)
            {
                return true;
            }

            Interlocked.Decrement(ref _newUsers);
            return false;
        }

        public void ReleaseNewUser() => Interlocked.Decrement(ref _newUsers);
    }
}

/// <summary>Endpoint metadata: the scope a key needs for the endpoint.</summary>
internal sealed record ApiScope(string Name);

/// <summary>
/// Problem details for a request body that cannot be bound (malformed JSON, a wrong type, no body, too large): the
/// status of the failure (400, 413) and a detail naming the problem and where it is (JSON path, line, byte).
/// </summary>
internal sealed class BadRequestProblems(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var detail = bad.InnerException is JsonException json
            ? $"invalid JSON at {json.Path ?? "$"} (line {(json.LineNumber ?? 0) + 1}, byte {(json.BytePositionInLine ?? 0) + 1}): {FirstSentence(json.Message)}"
            : bad.Message;
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "the request body is too large" : "the request body cannot be read",
                Detail = detail,
            },
            Exception = exception,
        }).ConfigureAwait(false);
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }
}
