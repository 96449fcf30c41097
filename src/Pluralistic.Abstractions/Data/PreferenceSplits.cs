namespace Pluralistic;

/// <summary>The standard ways to split preference data: seen/unseen users, context/query pairs, train/validation pairs.</summary>
public static class PreferenceSplits
{
    /// <summary>
    /// Splits every user's records, in record (file) order, into the first <paramref name="contextPairs"/> (context,
    /// used to adapt the user) and the rest (queries, to predict).
    /// </summary>
    /// <param name="data">The records.</param>
    /// <param name="contextPairs">Context pairs per user (&gt;= 0). Users with fewer records contribute only context.</param>
    /// <returns>Record indices of the context and of the queries, each in record order.</returns>
    public static (int[] Context, int[] Queries) ContextAndQueries(PreferenceDataset data, int contextPairs)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(contextPairs);
        var seen = new int[data.Users.Count];
        var context = new List<int>();
        var queries = new List<int>();
        var userIndex = data.UserIndices.Span;
        for (var i = 0; i < data.Count; i++)
        {
            (seen[userIndex[i]]++ < contextPairs ? context : queries).Add(i);
        }

        return ([.. context], [.. queries]);
    }

    /// <summary>
    /// Holds out a fraction of each user's records (chosen at random, at least one record kept for training per user)
    /// for validation; stratifying by user keeps every user in both parts.
    /// </summary>
    /// <param name="data">The records.</param>
    /// <param name="validationFraction">Fraction to hold out, in [0, 0.9].</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Record indices for training and for validation, each sorted.</returns>
    public static (int[] Train, int[] Validation) TrainValidation(PreferenceDataset data, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(validationFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(validationFraction, 0.9);
        var random = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var records in data.RecordsByUser())
        {
            var shuffled = records.ToArray();
            random.Shuffle(shuffled);
            var held = (int)Math.Floor(shuffled.Length * validationFraction);
            held = Math.Min(held, shuffled.Length - 1);
            validation.AddRange(shuffled.AsSpan(0, held));
            train.AddRange(shuffled.AsSpan(held));
        }

        train.Sort();
        validation.Sort();
        return ([.. train], [.. validation]);
    }

    /// <summary>Splits users at random into seen (training) and unseen users.</summary>
    /// <param name="data">The records.</param>
    /// <param name="unseenFraction">Fraction of users to hold out entirely.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Record indices of seen users and of unseen users, each in record order.</returns>
    public static (int[] Seen, int[] Unseen) SeenAndUnseenUsers(PreferenceDataset data, double unseenFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(unseenFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unseenFraction, 1);
        var users = Enumerable.Range(0, data.Users.Count).ToArray();
        new Random(seed).Shuffle(users);
        var unseen = users.Take((int)Math.Round(users.Length * unseenFraction)).ToHashSet();
        var seenRecords = new List<int>();
        var unseenRecords = new List<int>();
        var userIndex = data.UserIndices.Span;
        for (var i = 0; i < data.Count; i++)
        {
            (unseen.Contains(userIndex[i]) ? unseenRecords : seenRecords).Add(i);
        }

        return ([.. seenRecords], [.. unseenRecords]);
    }

    /// <summary>
    /// Splits every user's records into training and held-out records so that a user's held-out records compare only
    /// items that user has no training record of: each user's items are split at random first, records whose two items
    /// fall on the held-out side are held out, records whose two items fall on the training side are kept for training,
    /// and records that straddle the cut are dropped. A held-out pair then asks what a user will be asked in use —
    /// their preference between items they have not rated — rather than about items the training pairs already showed.
    /// </summary>
    /// <param name="data">The records.</param>
    /// <param name="items">The items of every record of <paramref name="data"/>.</param>
    /// <param name="heldOutFraction">
    /// The share of each user's kept records to hold out, in [0, 0.9]: a share <c>f</c> of the user's items is held
    /// out with <c>f = sqrt(h) / (sqrt(h) + sqrt(1 - h))</c>, so that about <c>h</c> of the pairs that stay on one
    /// side fall on the held-out side. Records without both item ids are held out at random with probability <c>h</c>.
    /// </param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Record indices kept for training, held out, and dropped (straddling the cut), each sorted.</returns>
    /// <exception cref="ArgumentException">The items do not match the records.</exception>
    public static (int[] Train, int[] HeldOut, int[] Dropped) ItemDisjoint(PreferenceDataset data, PreferenceItems items, double heldOutFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(heldOutFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(heldOutFraction, 0.9);
        if (items.Count != data.Count)
        {
            throw new ArgumentException($"expected the items of {data.Count} records, got {items.Count}", nameof(items));
        }

        var itemShare = Math.Sqrt(heldOutFraction) / (Math.Sqrt(heldOutFraction) + Math.Sqrt(1 - heldOutFraction));
        var random = new Random(seed);
        var train = new List<int>();
        var heldOut = new List<int>();
        var dropped = new List<int>();
        foreach (var records in data.RecordsByUser())
        {
            // Ordinal order first, so the shuffle (and the split) depends on the seed alone, not on record order.
            var userItems = records.Where(items.HasItemsAt)
                .SelectMany(i => new[] { items.ChosenItem(i)!, items.RejectedItem(i)! })
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToArray();
            random.Shuffle(userItems);
            var held = userItems.Take((int)Math.Round(userItems.Length * itemShare)).ToHashSet(StringComparer.Ordinal);
            foreach (var i in records)
            {
                if (!items.HasItemsAt(i))
                {
                    (random.NextDouble() < heldOutFraction ? heldOut : train).Add(i);
                    continue;
                }

                var chosenHeld = held.Contains(items.ChosenItem(i)!);
                var side = chosenHeld != held.Contains(items.RejectedItem(i)!) ? dropped : chosenHeld ? heldOut : train;
                side.Add(i);
            }
        }

        train.Sort();
        heldOut.Sort();
        dropped.Sort();
        return ([.. train], [.. heldOut], [.. dropped]);
    }
}
