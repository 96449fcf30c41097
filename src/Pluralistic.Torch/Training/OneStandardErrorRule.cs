namespace Pluralistic.Torch;

/// <summary>
/// The one-standard-error rule clustered by user, the one model-selection rule of the SDK (the anchor's weights,
/// MaxMin's number of groups, the item effects' penalty): among candidates ordered from the simplest (closest to the
/// population, fewest groups, most shrunk) to the most flexible, the first whose mean held-out loss per pair is within
/// one standard error of the best candidate's. The error is that of the paired difference of the two, with a user's
/// pairs as one cluster (they are not independent evidence): <c>se = sqrt(U / (U - 1) * sum_u (D_u - n_u * d)^2) / N</c>
/// for users u with n_u held-out pairs, D_u their summed difference, N = sum n_u and d = sum D_u / N, the usual
/// cluster-robust error of a mean. A more flexible candidate has to pay clearly to be chosen.
/// </summary>
internal static class OneStandardErrorRule
{
    /// <summary>Chooses among candidates scored pair by pair.</summary>
    /// <param name="pairLosses">Per candidate, simplest first: the held-out loss of every pair, in the same pair order for all.</param>
    /// <param name="userOfPair">The user of every pair.</param>
    /// <returns>The chosen candidate's index; 0, the simplest, with fewer than two users' pairs.</returns>
    public static int Choose(IReadOnlyList<double[]> pairLosses, IReadOnlyList<int> userOfPair)
    {
        ArgumentNullException.ThrowIfNull(pairLosses);
        ArgumentNullException.ThrowIfNull(userOfPair);
        var dense = new Dictionary<int, int>();
        var pairs = new List<int>();
        var clusterOf = new int[userOfPair.Count];
        for (var i = 0; i < userOfPair.Count; i++)
        {
            if (!dense.TryGetValue(userOfPair[i], out var u))
            {
                dense[userOfPair[i]] = u = dense.Count;
                pairs.Add(0);
            }

            clusterOf[i] = u;
            pairs[u]++;
        }

        var userLosses = pairLosses.Select(losses =>
        {
            if (losses.Length != clusterOf.Length)
            {
                throw new ArgumentException($"a candidate has {losses.Length} pair losses for {clusterOf.Length} pairs", nameof(pairLosses));
            }

            var sums = new double[pairs.Count];
            for (var i = 0; i < losses.Length; i++)
            {
                sums[clusterOf[i]] += losses[i];
            }

            return sums;
        }).ToArray();
        return ChooseByUser(userLosses, pairs);
    }

    /// <summary>Chooses among candidates scored user by user (a mixture's joint predictive of a user's pairs, say).</summary>
    /// <param name="userLosses">Per candidate, simplest first: every user's summed held-out loss, in the same user order for all.</param>
    /// <param name="pairsPerUser">Every user's number of held-out pairs; users without any are left out.</param>
    /// <returns>The chosen candidate's index; 0, the simplest, with fewer than two users' held-out pairs (no error to judge by).</returns>
    public static int ChooseByUser(IReadOnlyList<double[]> userLosses, IReadOnlyList<int> pairsPerUser)
    {
        ArgumentNullException.ThrowIfNull(userLosses);
        ArgumentNullException.ThrowIfNull(pairsPerUser);
        if (userLosses.Any(l => l.Length != pairsPerUser.Count))
        {
            throw new ArgumentException($"every candidate needs one loss for each of the {pairsPerUser.Count} users", nameof(userLosses));
        }

        var total = pairsPerUser.Sum();
        var clusters = pairsPerUser.Count(n => n > 0);
        if (userLosses.Count == 0 || clusters < 2)
        {
            return 0;
        }

        var sums = userLosses.Select(l => l.Where((_, u) => pairsPerUser[u] > 0).Sum()).ToArray();
        var best = Array.IndexOf(sums, sums.Min());
        for (var c = 0; c < userLosses.Count; c++)
        {
            var mean = (sums[c] - sums[best]) / total;
            var squares = 0.0;
            for (var u = 0; u < pairsPerUser.Count; u++)
            {
                if (pairsPerUser[u] > 0)
                {
                    var centred = userLosses[c][u] - userLosses[best][u] - (pairsPerUser[u] * mean);
                    squares += centred * centred;
                }
            }

            var standardError = Math.Sqrt(squares * clusters / Math.Max(1, clusters - 1)) / total;
            if (mean <= standardError)
            {
                return c;
            }
        }

        return best;
    }
}
