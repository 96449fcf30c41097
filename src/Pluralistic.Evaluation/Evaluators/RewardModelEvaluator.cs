namespace Pluralistic.Evaluation;

/// <summary>
/// Evaluates an <see cref="IUserRewardModel"/> on labelled pairs: plain scoring with stored states, few-shot
/// evaluation with each user's first pairs as context, context sensitivity (label flip) and few-shot curves.
/// </summary>
/// <remarks>
/// Users are adapted from context pairs in a throw-away overlay of the model's state store (reached through
/// <see cref="IUserStateStoreAccessor"/>), so evaluation never changes what the model has stored. Each evaluation
/// uses its own overlays, so concurrent evaluations of one (thread-safe) model do not see each other's users.
/// </remarks>
public static class RewardModelEvaluator
{
    /// <summary>
    /// Scores the records of <paramref name="data"/> and measures the predictions. With
    /// <see cref="EvaluationOptions.ContextPairs"/> K &gt; 0, the first K records of each user are context, the model
    /// adapts those users from them in a throw-away overlay, and the remaining records (the queries) are measured (or
    /// those from <see cref="EvaluationOptions.QueryStart"/> on, when it is set).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The labelled records.</param>
    /// <param name="options">Context pairs, cold start, context sensitivity; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The metrics, the predictions and the records they belong to.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or no record is left to score.</exception>
    /// <exception cref="UnknownUserException">A user has no state and no context, and cold start is off.</exception>
    /// <exception cref="CapabilityNotSupportedException">
    /// Context pairs were asked for but the model does not expose its state store (<see cref="IUserStateStoreAccessor"/>).
    /// </exception>
    public static Task<EvaluationResult> EvaluateAsync(
        IUserRewardModel model, PreferenceDataset data, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PairEvaluation.EvaluateAsync(new ModelSubject(model), data, options, cancellationToken);
    }

    /// <summary>
    /// Measures accuracy against the number of context pairs k. Every point is measured on the same queries: each
    /// user's records after the largest k (users with no such record are skipped and counted). For each k, every
    /// user's state is inferred from the user's first k records alone, in a fresh throw-away overlay; k = 0 scores
    /// the population-level (cold-start) prediction.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The labelled records, typically of users the model has not seen.</param>
    /// <param name="options">The context sizes; <see langword="null"/> for 1, 2, 5, 10 and 20.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The curve.</returns>
    /// <exception cref="ArgumentException">The context sizes are invalid, or no user has more records than the largest.</exception>
    /// <exception cref="CapabilityNotSupportedException">The model does not expose its state store.</exception>
    public static Task<FewShotCurve> FewShotCurveAsync(
        IUserRewardModel model, PreferenceDataset data, FewShotOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PairEvaluation.FewShotCurveAsync(new ModelSubject(model), data, options, cancellationToken);
    }
}
