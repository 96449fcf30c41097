namespace Pluralistic.Torch;

/// <summary>
/// The training session's split into training and validation pairs, holding out what a user will be asked in use.
/// Responses are identified by their vectors (the same vector is the same item). When users' pairs repeat items (a
/// catalogue rated by users, as <c>import ratings</c> writes), a random pair split would validate on items the user's
/// training pairs already show, which rewards memorising: then a share of the users (<see cref="ValidationUserShare"/>)
/// hold out part of their items instead, a validation pair compares two held-out items, and that user's pairs across
/// the cut are kept out of the method's training (<see cref="Split.Excluded"/>). When pairs do not repeat items
/// (fresh responses in every pair) the split is the usual per-user pair split.
/// </summary>
internal static class ValidationSplit
{
    /// <summary>The share of the users that hold out items when items repeat.</summary>
    public const double ValidationUserShare = 0.3;

    /// <summary>Splits <paramref name="data"/>.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="fraction">The share of pairs to validate on (0: none).</param>
    /// <param name="seed">The seed.</param>
    /// <returns>Training records, validation records, and records kept out of both (pairs across an item cut).</returns>
    public static Split Make(PreferenceDataset data, double fraction, int seed)
    {
        if (fraction <= 0 || !ItemKeys.RepeatWithinUsers(data, ItemKeys.Of(data)))
        {
            var (train, validation) = PreferenceSplits.TrainValidation(data, fraction, seed);
            return new Split(train, validation, []);
        }

        var keys = ItemKeys.Of(data);
        var byUser = data.RecordsByUser();
        var users = Enumerable.Range(0, byUser.Count).ToArray();
        new Random(seed).Shuffle(users);
        var holding = users.Take((int)Math.Ceiling(users.Length * ValidationUserShare)).ToHashSet();
        var trainList = new List<int>();
        foreach (var u in Enumerable.Range(0, byUser.Count).Where(u => !holding.Contains(u)))
        {
            trainList.AddRange(byUser[u]);
        }

        var subset = holding.Order().SelectMany(u => byUser[u]).Order().ToArray();
        var selected = data.Select(subset);
        var items = new PreferenceItems(
            subset.Select(r => keys[r].Chosen.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            subset.Select(r => keys[r].Rejected.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        var share = Math.Min(0.9, fraction / ValidationUserShare);
        var (kept, heldOut, dropped) = PreferenceSplits.ItemDisjoint(selected, items, share, seed);
        trainList.AddRange(kept.Select(i => subset[i]));
        trainList.Sort();
        return new Split([.. trainList], [.. heldOut.Select(i => subset[i])], [.. dropped.Select(i => subset[i])]);
    }

    /// <summary>A split.</summary>
    /// <param name="Train">Records the method trains on.</param>
    /// <param name="Validation">Records held out for validation.</param>
    /// <param name="Excluded">Records in neither: a validation user's pairs across their item cut.</param>
    public readonly record struct Split(int[] Train, int[] Validation, int[] Excluded);
}
