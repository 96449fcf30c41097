namespace Pluralistic;

/// <summary>Convenience over <see cref="IUserRewardModel"/>: one user, one pair, best-of-n, typed services.</summary>
public static class UserRewardModelExtensions
{
    /// <summary>Scores M responses for one user.</summary>
    /// <param name="model">The model.</param>
    /// <param name="user">The user.</param>
    /// <param name="responses">The responses.</param>
    /// <param name="options">Scoring options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>M rewards.</returns>
    public static async Task<float[]> ScoreAsync(
        this IUserRewardModel model, UserId user, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var matrix = await model.ScoreAsync([user], responses, options, cancellationToken).ConfigureAwait(false);
        return matrix.ForUser(0);
    }

    /// <summary>The probability that <paramref name="user"/> prefers response <paramref name="a"/> over <paramref name="b"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="user">The user.</param>
    /// <param name="a">One response vector.</param>
    /// <param name="b">The other response vector.</param>
    /// <param name="prompt">The prompt vector, for models that read prompts.</param>
    /// <param name="options">Scoring options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>P(a beats b) = sigmoid(r(a) - r(b)).</returns>
    public static async Task<double> PreferenceProbabilityAsync(
        this IUserRewardModel model, UserId user, float[] a, float[] b, float[]? prompt = null, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        var rewards = await model.ScoreAsync(user, ResponseBatch.FromVectors([a, b], prompt), options, cancellationToken).ConfigureAwait(false);
        return PairPredictions.Sigmoid((double)rewards[0] - rewards[1]);
    }

    /// <summary>Picks, for one user, the response with the highest reward.</summary>
    /// <param name="model">The model.</param>
    /// <param name="user">The user.</param>
    /// <param name="responses">The candidates.</param>
    /// <param name="options">Scoring options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The index of the best candidate and its reward.</returns>
    public static async Task<(int Index, float Reward)> BestOfNAsync(
        this IUserRewardModel model, UserId user, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        var rewards = await model.ScoreAsync(user, responses, options, cancellationToken).ConfigureAwait(false);
        var best = 0;
        for (var i = 1; i < rewards.Length; i++)
        {
            if (rewards[i] > rewards[best])
            {
                best = i;
            }
        }

        return (best, rewards[best]);
    }

    /// <summary>
    /// Removes every trace of a user's state from the model's store (privacy: the right to be forgotten). Caches in
    /// the model's middleware chain see the deletion, because they wrap the store.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the store held a state for the user.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model keeps no user states in a store.</exception>
    public static async Task<bool> ForgetUserAsync(this IUserRewardModel model, UserId user, CancellationToken cancellationToken = default) =>
        await model.GetRequiredService<IUserStateStoreAccessor>().UserStates.DeleteAsync(user, cancellationToken).ConfigureAwait(false);

    /// <summary>Everything the model's store holds about a user (state vector, retained pairs, counts, dates), or <see langword="null"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user's state, or <see langword="null"/> when the store has none.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model keeps no user states in a store.</exception>
    public static async Task<UserState?> ExportUserAsync(this IUserRewardModel model, UserId user, CancellationToken cancellationToken = default) =>
        await model.GetRequiredService<IUserStateStoreAccessor>().UserStates.GetAsync(user, cancellationToken).ConfigureAwait(false);

    /// <summary>Asks the model for a service of type <typeparamref name="TService"/>.</summary>
    /// <typeparam name="TService">The type wanted.</typeparam>
    /// <param name="model">The model.</param>
    /// <param name="serviceKey">An optional key.</param>
    /// <returns>The service or <see langword="null"/>.</returns>
    public static TService? GetService<TService>(this IUserRewardModel model, object? serviceKey = null)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.GetService(typeof(TService), serviceKey) as TService;
    }

    /// <summary>Asks the model for a service of type <typeparamref name="TService"/>, failing clearly when it has none.</summary>
    /// <typeparam name="TService">The type wanted.</typeparam>
    /// <param name="model">The model.</param>
    /// <param name="serviceKey">An optional key.</param>
    /// <returns>The service.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model has no such service.</exception>
    public static TService GetRequiredService<TService>(this IUserRewardModel model, object? serviceKey = null)
        where TService : class =>
        model.GetService<TService>(serviceKey) ?? throw new CapabilityNotSupportedException(model.Metadata.Kind, typeof(TService).Name);
}
