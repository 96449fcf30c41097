namespace Pluralistic;

/// <summary>
/// One reward model for a whole population that gives every user their own reward:
/// <c>r(prompt, response | population parameters, state of the user)</c>.
/// </summary>
/// <remarks>
/// <para>The interface is small and batch-first. Scoring takes M responses and N users and returns an M x N matrix
/// computed with matrix operations; pair scoring takes many records, each for its own user. Convenience (one user,
/// one pair, best-of-n, text) lives in extension methods; what only some methods offer (directions, uncertainty,
/// group aggregation) is reached through <see cref="GetService"/>.</para>
/// <para>Implementations are thread-safe for concurrent scoring. User states live in an
/// <see cref="IUserStateStore"/>; <see cref="AdaptAsync"/> writes to it.</para>
/// </remarks>
public interface IUserRewardModel : IDisposable
{
    /// <summary>What the model is and what it takes.</summary>
    RewardModelMetadata Metadata { get; }

    /// <summary>Scores M responses for N users.</summary>
    /// <param name="users">The N users.</param>
    /// <param name="responses">The M responses (and their prompts).</param>
    /// <param name="options">Cold start and explicit directions; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The M x N rewards.</returns>
    /// <exception cref="UnknownUserException">A user has no state and cold start is off.</exception>
    /// <exception cref="DimensionMismatchException">The vectors do not match the model.</exception>
    Task<RewardMatrix> ScoreAsync(
        IReadOnlyList<UserId> users,
        ResponseBatch responses,
        ScoringOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Scores both responses of every record for the record's own user (and, where a record carries a direction,
    /// with that direction).
    /// </summary>
    /// <param name="pairs">The records.</param>
    /// <param name="options">Cold start and explicit directions; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Rewards of chosen and rejected, per record.</returns>
    Task<PairPredictions> ScorePairsAsync(
        PreferenceDataset pairs,
        ScoringOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Learns or refines the state of every user in <paramref name="pairs"/> from their labelled pairs (few-shot,
    /// online), leaving the population parameters untouched, and stores the new states.
    /// </summary>
    /// <param name="pairs">Labelled pairs of one or more users.</param>
    /// <param name="options">Replace or refine, persist or not; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call before states are written.</param>
    /// <returns>What was learned, per user.</returns>
    Task<AdaptationResult> AdaptAsync(
        PreferenceDataset pairs,
        AdaptationOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks for an object of the given type: a capability only some methods have (directions, uncertainty, group
    /// aggregation), the state store, or an inner model of a middleware chain.
    /// </summary>
    /// <param name="serviceType">The type wanted.</param>
    /// <param name="serviceKey">An optional key.</param>
    /// <returns>The object, or <see langword="null"/> when the model has none.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}
