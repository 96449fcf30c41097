using Pluralistic.Evaluation;

namespace Pluralistic.Experiments;

/// <summary>How <see cref="UserSplit"/> divides a user's own data into seen and unseen users.</summary>
public sealed record UserSplitOptions
{
    /// <summary>The context sizes of the product's few-shot curve, tried when none are given: 1, 2, 5, 10 and 20.</summary>
    public static IReadOnlyList<int> DefaultContextSizes => FewShotOptions.DefaultContextSizes;

    /// <summary>The share of the users held out entirely (unseen users), in (0, 1). Default 0.2.</summary>
    public double UnseenFraction { get; init; } = 0.2;

    /// <summary>
    /// The share of a seen user's kept pairs held out for the seen-user figures, in (0, 0.9]. With item ids the user's
    /// items are split so that about this share of the pairs that stay on one side fall on the held-out side
    /// (<see cref="PreferenceSplits.ItemDisjoint"/>; pairs across the cut are dropped). Default 0.2.
    /// </summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>
    /// The share of an unseen user's kept pairs that are queries (the rest are their context pool), in (0, 0.9]; with
    /// item ids the same item-disjoint rule applies. Default 0.5.
    /// </summary>
    public double UnseenQueryFraction { get; init; } = 0.5;

    /// <summary>Users with fewer pairs are left out of the split (and counted). Default 4.</summary>
    public int MinPairsPerUser { get; init; } = 4;

    /// <summary>
    /// The numbers of context pairs k to measure unseen users at. <see langword="null"/> (the default): those of
    /// <see cref="DefaultContextSizes"/> that at least half of the unseen users have context pairs for.
    /// </summary>
    public IReadOnlyList<int>? ContextSizes { get; init; }

    /// <summary>Seed of every random choice of the split.</summary>
    public int Seed { get; init; }

    internal void Validate()
    {
        Check(UnseenFraction > 0 && UnseenFraction < 1, $"the unseen-user fraction must be in (0, 1), got {UnseenFraction}");
        Check(HeldOutFraction > 0 && HeldOutFraction <= 0.9, $"the held-out fraction must be in (0, 0.9], got {HeldOutFraction}");
        Check(UnseenQueryFraction > 0 && UnseenQueryFraction <= 0.9, $"the unseen users' query fraction must be in (0, 0.9], got {UnseenQueryFraction}");
        Check(MinPairsPerUser >= 2, $"the minimum pairs per user must be at least 2, got {MinPairsPerUser}");
        Check(ContextSizes is null || (ContextSizes.Count > 0 && ContextSizes.All(k => k >= 1)), $"context sizes must be at least 1, got {string.Join(", ", ContextSizes ?? [])}");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

/// <summary>What <see cref="UserSplit"/> did, in counts (what <c>pluralistic compare</c> prints).</summary>
public sealed record UserSplitSummary
{
    /// <summary>Users in the data.</summary>
    public required int Users { get; init; }

    /// <summary>Pairs in the data.</summary>
    public required int Pairs { get; init; }

    /// <summary>Distinct items the records name (0 without item ids).</summary>
    public required int Items { get; init; }

    /// <summary>Whether the records carry ratings of their items.</summary>
    public required bool Ratings { get; init; }

    /// <summary>Whether held-out and query pairs are over items their user has no training (context) pair of; else they were drawn at random.</summary>
    public required bool ItemDisjoint { get; init; }

    /// <summary>Users left out for having fewer than the minimum pairs.</summary>
    public required int UsersWithTooFewPairs { get; init; }

    /// <summary>Seen users (with training pairs).</summary>
    public required int SeenUsers { get; init; }

    /// <summary>Training pairs.</summary>
    public required int TrainPairs { get; init; }

    /// <summary>Seen users' held-out pairs.</summary>
    public required int HeldOutPairs { get; init; }

    /// <summary>Seen users with held-out pairs.</summary>
    public required int SeenUsersMeasured { get; init; }

    /// <summary>Seen users' pairs dropped: across the item cut, or of a user left without training pairs.</summary>
    public required int SeenPairsDropped { get; init; }

    /// <summary>Unseen users drawn.</summary>
    public required int UnseenUsers { get; init; }

    /// <summary>Unseen users measured: with at least the largest k context pairs and a query.</summary>
    public required int UnseenUsersMeasured { get; init; }

    /// <summary>The context sizes k the unseen users are measured at.</summary>
    public required IReadOnlyList<int> ContextSizes { get; init; }

    /// <summary>Measured unseen users' query pairs.</summary>
    public required int QueryPairs { get; init; }

    /// <summary>Unseen users' pairs not used: across the item cut, beyond the largest k in the context pool, or of users not measured.</summary>
    public required int UnseenPairsUnused { get; init; }
}

/// <summary>
/// Splits a user's own preference data for <c>pluralistic compare</c>: users are drawn by seed into seen users (their
/// pairs split into training and held-out pairs) and unseen users (each with a context pool and queries, laid out so
/// that the first k records are context for every k measured and the queries are the same for every k). When the
/// records name their items, a user's held-out (query) pairs are over items that user has no training (context) pair
/// of, so the figures measure what the user will see; otherwise pairs are split at random.
/// </summary>
public sealed class UserSplit
{
    private UserSplit(PreparedPopulation population, UserSplitSummary summary)
    {
        Population = population;
        Summary = summary;
    }

    /// <summary>The split, ready for <see cref="PopulationExperiment.RunAsync(PreparedPopulation, ExperimentOptions, IProgress{ExperimentProgress}?, CancellationToken)"/>.</summary>
    public PreparedPopulation Population { get; }

    /// <summary>What the split did.</summary>
    public UserSplitSummary Summary { get; }

    /// <summary>Splits the data.</summary>
    /// <param name="name">The data's name in reports (for example the file name).</param>
    /// <param name="data">Every record.</param>
    /// <param name="items">The records' items, when they name them.</param>
    /// <param name="options">Fractions, minimum pairs, context sizes and seed; <see langword="null"/> for defaults.</param>
    /// <returns>The split.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidPreferenceDataException">The data has too few users, or too few pairs per user, for the split asked for.</exception>
    public static UserSplit Create(string name, PreferenceDataset data, PreferenceItems? items, UserSplitOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new UserSplitOptions();
        options.Validate();
        if (items is not null && items.Count != data.Count)
        {
            throw new ArgumentException($"expected the items of {data.Count} records, got {items.Count}", nameof(items));
        }

        var itemDisjoint = items is { HasItems: true };
        var byUser = data.RecordsByUser();
        var eligible = Enumerable.Range(0, byUser.Count).Where(u => byUser[u].Length >= options.MinPairsPerUser).ToArray();
        if (eligible.Length < 3)
        {
            throw Insufficient(data, $"too few users for a split: {eligible.Length} of {byUser.Count} users have at least {options.MinPairsPerUser} pairs, and a split needs 3 (seen users to train on and to measure, and unseen users)");
        }

        var random = new Random(options.Seed);
        random.Shuffle(eligible);
        var unseenCount = Math.Clamp((int)Math.Round(eligible.Length * options.UnseenFraction), 1, eligible.Length - 2);
        var unseenUsers = eligible[..unseenCount].Order().ToArray();
        var seenUsers = eligible[unseenCount..].Order().ToArray();

        var (train, heldOut, seenDropped) = SplitSeen(data, items, byUser, seenUsers, options, itemDisjoint);
        if (train.Length == 0 || heldOut.Length == 0)
        {
            throw Insufficient(data, $"no seen user has both training and held-out pairs ({seenUsers.Length} seen users with at least {options.MinPairsPerUser} pairs); give more pairs per user or a larger --held-out-fraction");
        }

        var (layout, sizes, measured, queryCount, unseenUnused) = SplitUnseen(data, items, byUser, unseenUsers, options, itemDisjoint);
        var population = new PreparedPopulation
        {
            Preset = name,
            Description = itemDisjoint
                ? "your data, split by user; held-out and query pairs are over items their user has no training or context pair of"
                : "your data, split by user; held-out and query pairs drawn at random (the records name no items)",
            Train = data.Select(train),
            TestSeen = data.Select(heldOut),
            TestUnseen = data.Select(layout),
            UnseenQueryStart = sizes[^1],
            TrainItems = items?.Select(train),
            TestSeenItems = items?.Select(heldOut),
            TestUnseenItems = items?.Select(layout),
        };
        var summary = new UserSplitSummary
        {
            Users = byUser.Count,
            Pairs = data.Count,
            Items = items is null ? 0 : Enumerable.Range(0, items.Count).Where(items.HasItemsAt).SelectMany(i => new[] { items.ChosenItem(i), items.RejectedItem(i) }).Distinct(StringComparer.Ordinal).Count(),
            Ratings = items?.HasRatings == true,
            ItemDisjoint = itemDisjoint,
            UsersWithTooFewPairs = byUser.Count - eligible.Length,
            SeenUsers = population.Train.Users.Count,
            TrainPairs = train.Length,
            HeldOutPairs = heldOut.Length,
            SeenUsersMeasured = population.TestSeen.Users.Count,
            SeenPairsDropped = seenDropped,
            UnseenUsers = unseenUsers.Length,
            UnseenUsersMeasured = measured,
            ContextSizes = sizes,
            QueryPairs = queryCount,
            UnseenPairsUnused = unseenUnused,
        };
        return new UserSplit(population, summary);
    }

    /// <summary>Seen users' training and held-out records (sorted) and the number dropped.</summary>
    private static (int[] Train, int[] HeldOut, int Dropped) SplitSeen(
        PreferenceDataset data, PreferenceItems? items, IReadOnlyList<int[]> byUser, int[] seenUsers, UserSplitOptions options, bool itemDisjoint)
    {
        var records = seenUsers.SelectMany(u => byUser[u]).Order().ToArray();
        var seen = data.Select(records);
        var (train, heldOut, dropped) = itemDisjoint
            ? PreferenceSplits.ItemDisjoint(seen, items!.Select(records), options.HeldOutFraction, options.Seed + 1)
            : WithNoneDropped(PreferenceSplits.TrainValidation(seen, options.HeldOutFraction, options.Seed + 1));

        // A held-out pair of a user with no training pair would ask the model about a user it never met: drop it.
        var trained = train.Select(seen.UserAt).ToHashSet();
        var kept = heldOut.Where(i => trained.Contains(seen.UserAt(i))).ToArray();
        return (
            train.Select(i => records[i]).ToArray(),
            kept.Select(i => records[i]).ToArray(),
            dropped.Length + (heldOut.Length - kept.Length));
    }

    /// <summary>
    /// Unseen users' records laid out user by user as the first k-max context records then the queries, the context
    /// sizes measured, and counts (measured users, queries, unused records).
    /// </summary>
    private static (int[] Layout, int[] Sizes, int Measured, int Queries, int Unused) SplitUnseen(
        PreferenceDataset data, PreferenceItems? items, IReadOnlyList<int[]> byUser, int[] unseenUsers, UserSplitOptions options, bool itemDisjoint)
    {
        var records = unseenUsers.SelectMany(u => byUser[u]).Order().ToArray();
        var unseen = data.Select(records);
        var (pool, queries, _) = itemDisjoint
            ? PreferenceSplits.ItemDisjoint(unseen, items!.Select(records), options.UnseenQueryFraction, options.Seed + 2)
            : WithNoneDropped(PreferenceSplits.TrainValidation(unseen, options.UnseenQueryFraction, options.Seed + 2));
        var poolOf = pool.GroupBy(unseen.UserAt).ToDictionary(g => g.Key, g => g.ToArray());
        var queriesOf = queries.GroupBy(unseen.UserAt).ToDictionary(g => g.Key, g => g.ToArray());
        var users = unseen.Users.Select(u => (User: u, Pool: poolOf.GetValueOrDefault(u, []), Queries: queriesOf.GetValueOrDefault(u, []))).ToList();
        var withQueries = users.Where(u => u.Queries.Length > 0).ToList();

        int[] sizes;
        if (options.ContextSizes is { } given)
        {
            sizes = [.. given.Distinct().Order()];
        }
        else
        {
            // The default curve stops where fewer than half of the unseen users have enough context pairs.
            sizes = [.. UserSplitOptions.DefaultContextSizes.Where(k => 2 * withQueries.Count(u => u.Pool.Length >= k) >= Math.Max(1, users.Count))];
            if (sizes.Length == 0)
            {
                throw Insufficient(data, $"the unseen users have too few pairs: fewer than half of the {users.Count} unseen users have a context pair and a query; give more pairs per user, or --context-pairs 1 to measure those that do");
            }
        }

        var largest = sizes[^1];
        var measured = withQueries.Where(u => u.Pool.Length >= largest).ToList();
        if (measured.Count == 0)
        {
            throw Insufficient(data, $"no unseen user has {largest} context pairs and a query left ({users.Count} unseen users); give a smaller --context-pairs, or more pairs per user");
        }

        var layout = measured.SelectMany(u => u.Pool[..largest].Concat(u.Queries)).Select(i => records[i]).ToArray();
        var queryCount = measured.Sum(u => u.Queries.Length);
        return (layout, sizes, measured.Count, queryCount, records.Length - layout.Length);
    }

    private static (int[], int[], int[]) WithNoneDropped((int[] Train, int[] Validation) split) => (split.Train, split.Validation, []);

    private static InvalidPreferenceDataException Insufficient(PreferenceDataset data, string problem) =>
        new(PreferenceDataError.InsufficientData, problem, data.SourcePath);
}
