namespace Pluralistic.Evaluation;

/// <summary>
/// How well a model's latent groups recover known groups (a synthetic population's true groups): the adjusted Rand
/// index of the users' most likely groups against their true groups, and the contingency table.
/// </summary>
public static class GroupRecovery
{
    /// <summary>
    /// The adjusted Rand index of two partitions of the same items (Hubert and Arabie, 1985): 1 for identical
    /// partitions (whatever the labels), about 0 for independent ones, negative for less agreement than chance.
    /// </summary>
    /// <typeparam name="TA">Label type of the first partition.</typeparam>
    /// <typeparam name="TB">Label type of the second partition.</typeparam>
    /// <param name="first">Per item, its label in the first partition.</param>
    /// <param name="second">Per item, its label in the second partition.</param>
    /// <returns>The index; 1 when both partitions are trivial in the same way (one cluster, or every item alone).</returns>
    /// <exception cref="ArgumentException">The partitions have different lengths or are empty.</exception>
    public static double AdjustedRandIndex<TA, TB>(IReadOnlyList<TA> first, IReadOnlyList<TB> second)
        where TA : notnull
        where TB : notnull
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count)
        {
            throw new ArgumentException($"the partitions label {first.Count} and {second.Count} items", nameof(second));
        }

        if (first.Count == 0)
        {
            throw new ArgumentException("no items to compare", nameof(first));
        }

        var cells = new Dictionary<(TA, TB), long>();
        var rows = new Dictionary<TA, long>();
        var columns = new Dictionary<TB, long>();
        for (var i = 0; i < first.Count; i++)
        {
            var key = (first[i], second[i]);
            cells[key] = cells.GetValueOrDefault(key) + 1;
            rows[first[i]] = rows.GetValueOrDefault(first[i]) + 1;
            columns[second[i]] = columns.GetValueOrDefault(second[i]) + 1;
        }

        static double Pairs(long n) => n * (n - 1) / 2.0;
        var index = cells.Values.Sum(Pairs);
        var rowPairs = rows.Values.Sum(Pairs);
        var columnPairs = columns.Values.Sum(Pairs);
        var expected = rowPairs * columnPairs / Pairs(first.Count);
        var maximum = (rowPairs + columnPairs) / 2;
        return maximum - expected == 0 ? 1.0 : (index - expected) / (maximum - expected);
    }

    /// <summary>Measures how well a model's latent groups recover the users' true groups.</summary>
    /// <param name="groups">The model's groups (<c>model.GetService&lt;IUserGroups&gt;()</c>).</param>
    /// <param name="users">Users with states in the model (seen users, or users adapted beforehand).</param>
    /// <param name="trueGroup">Each user's true group (for a synthetic population, <c>population.GroupOf</c>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The adjusted Rand index and the contingency table.</returns>
    public static async Task<GroupRecoveryResult> MeasureAsync(
        IUserGroups groups, IReadOnlyList<UserId> users, Func<UserId, string> trueGroup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(trueGroup);
        var posteriors = await groups.GetGroupPosteriorsAsync(users, allowColdStart: false, cancellationToken).ConfigureAwait(false);
        var learned = posteriors.Select(p => p.MostLikelyGroup).ToArray();
        var truth = users.Select(trueGroup).ToArray();
        return Result(learned, truth, groups.GroupCount);
    }

    /// <summary>
    /// The recovery that the true group rewards themselves achieve from the same pairs: every user goes to the group
    /// whose true reward makes the user's pairs most likely under Bradley-Terry (with the groups' shares among these
    /// users as the prior). The ceiling for any method that assigns users from their pairs: users who vary within their
    /// group, and label noise, keep it below 1 on realistic populations.
    /// </summary>
    /// <param name="pairs">Labelled pairs of users whose true groups are known.</param>
    /// <param name="groups">The true groups.</param>
    /// <param name="trueReward">Each group's true reward (for a synthetic population, <c>population.GroupReward</c>).</param>
    /// <param name="trueGroup">Each user's true group.</param>
    /// <returns>The adjusted Rand index of those assignments and their contingency table (latent group i is <paramref name="groups"/>[i]).</returns>
    public static GroupRecoveryResult Oracle(PreferenceDataset pairs, IReadOnlyList<string> groups, TrueGroupReward trueReward, Func<UserId, string> trueGroup)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(trueReward);
        ArgumentNullException.ThrowIfNull(trueGroup);
        var k = groups.Count;
        var truth = pairs.Users.Select(trueGroup).ToArray();
        var logPrior = groups.Select(g => Math.Log(Math.Max(truth.Count(t => t == g), 1e-9) / truth.Length)).ToArray();
        var logLikelihood = new double[pairs.Users.Count, k];
        var userIndex = pairs.UserIndices.Span;
        for (var i = 0; i < pairs.Count; i++)
        {
            for (var g = 0; g < k; g++)
            {
                var margin = trueReward(groups[g], pairs.ChosenVector(i), pairs.PromptVector(i)) - trueReward(groups[g], pairs.RejectedVector(i), pairs.PromptVector(i));
                logLikelihood[userIndex[i], g] -= pairs.WeightAt(i) * Math.Log(1 + Math.Exp(-margin));
            }
        }

        var assigned = Enumerable.Range(0, truth.Length)
            .Select(u => Enumerable.Range(0, k).MaxBy(g => logLikelihood[u, g] + logPrior[g]))
            .ToArray();
        return Result(assigned, truth, k);
    }

    private static GroupRecoveryResult Result(int[] learned, string[] truth, int groupCount)
    {
        var table = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        for (var i = 0; i < truth.Length; i++)
        {
            if (!table.TryGetValue(truth[i], out var counts))
            {
                table[truth[i]] = counts = new int[groupCount];
            }

            counts[learned[i]]++;
        }

        return new GroupRecoveryResult(
            AdjustedRandIndex(learned, truth),
            truth.Length,
            learned.Distinct().Count(),
            table.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<int>)kv.Value, StringComparer.Ordinal));
    }
}

/// <summary>How well latent groups recover true groups.</summary>
/// <param name="AdjustedRandIndex">The adjusted Rand index of the users' most likely groups against their true groups.</param>
/// <param name="Users">Users measured.</param>
/// <param name="LearnedGroupsUsed">Latent groups that are some user's most likely group.</param>
/// <param name="Contingency">Per true group, how many of its users fall in each latent group.</param>
public sealed record GroupRecoveryResult(
    double AdjustedRandIndex, int Users, int LearnedGroupsUsed, IReadOnlyDictionary<string, IReadOnlyList<int>> Contingency);
