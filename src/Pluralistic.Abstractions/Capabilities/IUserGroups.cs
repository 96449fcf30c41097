namespace Pluralistic;

/// <summary>
/// A model whose users are mixtures over K latent groups (MaxMin's reward heads): each user's state is a posterior
/// over the groups. Reached through <see cref="IUserRewardModel.GetService"/>.
/// </summary>
public interface IUserGroups
{
    /// <summary>K, the number of groups.</summary>
    int GroupCount { get; }

    /// <summary>The groups' shares of the training population (the prior over groups; sums to 1).</summary>
    IReadOnlyList<double> GroupShares { get; }

    /// <summary>The stored posteriors of users (seen users' assignments, or users adapted since).</summary>
    /// <param name="users">The users.</param>
    /// <param name="allowColdStart">When true, a user without a state gets the prior (<see cref="GroupShares"/>) instead of an error.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One posterior per user, in order.</returns>
    /// <exception cref="UnknownUserException">A user has no state and cold start is off.</exception>
    Task<IReadOnlyList<UserGroupPosterior>> GetGroupPosteriorsAsync(
        IReadOnlyList<UserId> users, bool allowColdStart = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// The posterior of every user in <paramref name="pairs"/> from those pairs alone (the prior times each group's
    /// likelihood of the pairs), without reading or writing the store.
    /// </summary>
    /// <param name="pairs">Labelled pairs of one or more users.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One posterior per user of <paramref name="pairs"/>, in <see cref="PreferenceDataset.Users"/> order.</returns>
    Task<IReadOnlyList<UserGroupPosterior>> InferGroupPosteriorsAsync(PreferenceDataset pairs, CancellationToken cancellationToken = default);
}

/// <summary>A user's posterior over a model's latent groups.</summary>
/// <param name="User">The user.</param>
/// <param name="Posterior">One probability per group (sums to 1).</param>
/// <param name="IsColdStart">Whether the user had no state and got the prior.</param>
public sealed record UserGroupPosterior(UserId User, IReadOnlyList<double> Posterior, bool IsColdStart = false)
{
    /// <summary>The most probable group (the lowest index on a tie).</summary>
    public int MostLikelyGroup
    {
        get
        {
            var best = 0;
            for (var k = 1; k < Posterior.Count; k++)
            {
                if (Posterior[k] > Posterior[best])
                {
                    best = k;
                }
            }

            return best;
        }
    }
}
