using System.Text.Json.Serialization;

namespace Pluralistic.Samples.RewardServer;

/// <summary>POST /score: rank candidate replies for one user.</summary>
public sealed record ScoreRequest(string? UserId, string? Prompt, IReadOnlyList<string>? Candidates);

/// <summary>The rewards of the candidates (in request order), the best one, and the ranking.</summary>
public sealed record ScoreResponse(string UserId, bool Personalized, IReadOnlyList<float> Rewards, int BestIndex, IReadOnlyList<int> Ranking);

/// <summary>POST /feedback: the user preferred <see cref="Chosen"/> over <see cref="Rejected"/>.</summary>
public sealed record FeedbackRequest(string? UserId, string? Prompt, string? Chosen, string? Rejected);

/// <summary>What the user's state now rests on.</summary>
public sealed record FeedbackResponse(string UserId, bool NewUser, int Pairs);

/// <summary>GET /health.</summary>
public sealed record HealthResponse(string Status, string Model, int Users);

/// <summary>Source-generated JSON for the API (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ScoreRequest))]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(FeedbackRequest))]
[JsonSerializable(typeof(FeedbackResponse))]
[JsonSerializable(typeof(HealthResponse))]
public sealed partial class RewardServerJsonContext : JsonSerializerContext;
