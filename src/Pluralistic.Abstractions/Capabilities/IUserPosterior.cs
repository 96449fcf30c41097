namespace Pluralistic;

/// <summary>
/// Offered (through <see cref="IUserRewardModel.GetService"/>) by models that hold each user as a posterior
/// distribution over a latent vector (VPL): the posterior mean and variance per user, and the number of latent
/// dimensions that actually vary across users (the guard against posterior collapse).
/// </summary>
public interface IUserPosterior
{
    /// <summary>The length of the latent vector.</summary>
    int LatentSize { get; }

    /// <summary>The posterior of each user's latent vector, as scoring resolves the users.</summary>
    /// <param name="users">The users.</param>
    /// <param name="options">
    /// With <see cref="ScoringOptions.AllowColdStart"/>, users without a state get the prior; otherwise they are an
    /// error. <see langword="null"/> for defaults.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One posterior per user, in order.</returns>
    /// <exception cref="UnknownUserException">A user has no state and cold start is off.</exception>
    Task<IReadOnlyList<UserPosterior>> GetPosteriorsAsync(
        IReadOnlyList<UserId> users, ScoringOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Active latent units over <paramref name="users"/>: the latent dimensions i whose posterior mean varies across
    /// users, <c>Var_users(E_q[z_i]) &gt; threshold</c> (the standard AU measure; 0.01 by convention). A collapsed
    /// posterior — one that ignores the user's pairs — has none.
    /// </summary>
    /// <param name="users">At least two users with states.</param>
    /// <param name="threshold">The variance above which a unit counts as active.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count and the per-dimension variances.</returns>
    /// <exception cref="UnknownUserException">A user has no state.</exception>
    /// <exception cref="ArgumentException">Fewer than two users were given.</exception>
    Task<ActiveUnitsReport> MeasureActiveUnitsAsync(
        IReadOnlyList<UserId> users, double threshold = ActiveUnitsReport.DefaultThreshold, CancellationToken cancellationToken = default);
}

/// <summary>A user's posterior over the latent vector: a diagonal Gaussian.</summary>
/// <param name="User">The user.</param>
/// <param name="Mean">The posterior mean, one value per latent dimension.</param>
/// <param name="Variance">The posterior variance, one value per latent dimension.</param>
/// <param name="IsPrior">Whether the user had no state and the prior was returned.</param>
public sealed record UserPosterior(UserId User, IReadOnlyList<float> Mean, IReadOnlyList<float> Variance, bool IsPrior)
{
    /// <summary>The mean posterior variance over latent dimensions: one number for "how unsure the model is about the user".</summary>
    public double MeanVariance => Variance.Count == 0 ? 0 : Variance.Average(v => (double)v);
}

/// <summary>How many latent dimensions vary across users.</summary>
/// <param name="ActiveUnits">Dimensions whose posterior mean varies across users by more than <paramref name="Threshold"/>.</param>
/// <param name="LatentSize">All dimensions.</param>
/// <param name="Threshold">The variance threshold.</param>
/// <param name="Users">The users measured.</param>
/// <param name="UnitVariances">Per dimension, the variance over users of the posterior mean.</param>
public sealed record ActiveUnitsReport(int ActiveUnits, int LatentSize, double Threshold, int Users, IReadOnlyList<double> UnitVariances)
{
    /// <summary>The conventional threshold, 0.01.</summary>
    public const double DefaultThreshold = 0.01;

    /// <summary>Counts the active units of per-user posterior means.</summary>
    /// <param name="means">One mean vector per user (all the same length; at least two users).</param>
    /// <param name="threshold">The variance threshold.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">Fewer than two users, or vectors of different lengths.</exception>
    public static ActiveUnitsReport FromMeans(IReadOnlyList<IReadOnlyList<float>> means, double threshold = DefaultThreshold)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        if (means.Count < 2)
        {
            throw new ArgumentException($"active units need at least two users (got {means.Count})", nameof(means));
        }

        var size = means[0].Count;
        if (means.Any(m => m.Count != size))
        {
            throw new ArgumentException("every mean vector must have the same length", nameof(means));
        }

        var variances = new double[size];
        for (var i = 0; i < size; i++)
        {
            double sum = 0, sumSquares = 0;
            foreach (var m in means)
            {
                sum += m[i];
                sumSquares += (double)m[i] * m[i];
            }

            var mean = sum / means.Count;
            variances[i] = Math.Max((sumSquares / means.Count) - (mean * mean), 0);
        }

        return new ActiveUnitsReport(variances.Count(v => v > threshold), size, threshold, means.Count, variances);
    }
}
