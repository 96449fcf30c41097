namespace Pluralistic.Samples.RewardServer;

/// <summary>Settings of the reward server (configuration section <c>RewardServer</c>).</summary>
public sealed class RewardServerOptions
{
    /// <summary>The run directory to serve; when empty, a small demo model is trained at start-up into a temporary directory.</summary>
    public string? RunDirectory { get; set; }

    /// <summary>The text embedder of the demo model (when <see cref="RunDirectory"/> is empty): <c>minilm</c>, the sentence encoder (default), or <c>hashed</c>.</summary>
    public string DemoEmbedder { get; set; } = Pluralistic.Runs.TextEmbedderKinds.DefaultName;

    /// <summary>
    /// Where the demo run lives when <see cref="RunDirectory"/> is empty (default: a directory per embedder under the
    /// temporary directory). It is trained only when it holds no run, so its users' feedback survives restarts.
    /// </summary>
    public string? DemoDirectory { get; set; }

    /// <summary>
    /// Admin API keys (header <c>X-Api-Key</c>): every scope, every user. Prefer <see cref="Keys"/> with scopes and a
    /// user binding for clients. The server refuses to start without any key.
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>API keys with scopes, a user binding, their own rate limit and new-user budget.</summary>
    public IList<ApiKeyOptions> Keys { get; } = [];

    /// <summary>Requests per window a key may make unless it says otherwise (ASP.NET Core's fixed-window rate limiter).</summary>
    public int PermitsPerWindow { get; set; } = 600;

    /// <summary>Requests per window all requests without a valid key may make together (limits key guessing).</summary>
    public int UnauthenticatedPermitsPerWindow { get; set; } = 60;

    /// <summary>The rate-limit window, in seconds.</summary>
    public int RateLimitWindowSeconds { get; set; } = 60;

    /// <summary>Users a key may create through /feedback unless it says otherwise (counted since the server started).</summary>
    public int MaxNewUsersPerKey { get; set; } = 10_000;

    /// <summary>The most candidates one /score request may carry.</summary>
    public int MaxCandidates { get; set; } = 64;

    /// <summary>The longest prompt or reply accepted, in characters.</summary>
    public int MaxTextLength { get; set; } = 4_000;

    /// <summary>The largest request body accepted, in bytes (larger bodies get 413).</summary>
    public long MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Where user states live: empty (default) for the run directory's <c>users.db</c> (one server process per run), or
    /// an Npgsql connection string to keep them in PostgreSQL, in the run's scope
    /// (<see cref="Pluralistic.Runs.RunDirectory.StoreScope"/>), shared by any number of servers and by
    /// <c>pluralistic adapt --store</c>. Also read from <c>ConnectionStrings:UserStates</c>.
    /// </summary>
    public string? Store { get; set; }

    /// <summary>
    /// With a shared <see cref="Store"/>: how long a server serves a cached user state before reading it again, in
    /// milliseconds, which bounds how stale a score can be after /feedback on another server. Default 1000.
    /// Ignored for <c>users.db</c>, which only this process writes (its cache is exact).
    /// </summary>
    public int CacheMaxAgeMilliseconds { get; set; } = 1000;

    /// <summary>Score users without a state with the population-level reward (instead of 404).</summary>
    public bool ColdStart { get; set; } = true;
}
