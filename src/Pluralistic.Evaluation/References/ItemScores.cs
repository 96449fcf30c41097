namespace Pluralistic.Evaluation;

/// <summary>
/// Every item's population score from the training pairs: its mean rating shrunk towards the global mean (when the
/// records carry ratings), or else its win rate shrunk towards one half. The prior strength is fitted on the training
/// data by the method of moments (empirical Bayes): the spread of the items' observed means beyond what their sampling
/// noise explains is the spread of their true means, and the prior weighs as many observations as make the two equal.
/// </summary>
internal sealed class ItemScores
{
    private const double MaxPriorStrength = 1e4;
    private readonly Dictionary<string, double> _scores;

    private ItemScores(Dictionary<string, double> scores, bool fromRatings, double prior, double priorStrength)
    {
        _scores = scores;
        FromRatings = fromRatings;
        Prior = prior;
        PriorStrength = priorStrength;
    }

    /// <summary>Whether the scores are mean ratings (else win rates).</summary>
    public bool FromRatings { get; }

    /// <summary>The global mean rating, or 0.5 for win rates: the score of an item no training pair showed.</summary>
    public double Prior { get; }

    /// <summary>How many observations the prior weighs (fitted).</summary>
    public double PriorStrength { get; }

    /// <summary>The number of items scored.</summary>
    public int Count => _scores.Count;

    /// <summary>The item's shrunk score (<see cref="Prior"/> for an item no training pair showed, or no item).</summary>
    public double Score(string? item) => item is not null && _scores.TryGetValue(item, out var score) ? score : Prior;

    /// <summary>
    /// How far the item stands from the prior, in the units of <see cref="UserItemValues"/>: rating points, or (for win
    /// rates) twice the win-rate difference, so that it spans [-1, 1] as a user's net win share does.
    /// </summary>
    public double Offset(string? item) => (Score(item) - Prior) * (FromRatings ? 1 : 2);

    public static ItemScores Fit(PreferenceDataset train, PreferenceItems items) =>
        items.HasRatings ? FitRatings(train, items) : FitWinRates(items);

    private static ItemScores FitRatings(PreferenceDataset train, PreferenceItems items)
    {
        // One rating per (user, item): a rating repeated in several pairs counts once.
        var perItem = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var (_, values) in UserItemValues.Ratings(train, items))
        {
            foreach (var (item, rating) in values)
            {
                if (!perItem.TryGetValue(item, out var list))
                {
                    perItem[item] = list = [];
                }

                list.Add(rating);
            }
        }

        var all = perItem.Values.SelectMany(v => v).ToList();
        var mean = all.Average();
        var itemMeans = perItem.ToDictionary(p => p.Key, p => p.Value.Average(), StringComparer.Ordinal);
        var within = perItem.Sum(p => p.Value.Sum(r => (r - itemMeans[p.Key]) * (r - itemMeans[p.Key])));
        var withinVariance = all.Count > perItem.Count ? within / (all.Count - perItem.Count) : 1.0;
        var between = Variance(itemMeans.Values) - perItem.Values.Average(v => withinVariance / v.Count);
        var strength = between > 0 ? Math.Min(withinVariance / between, MaxPriorStrength) : MaxPriorStrength;
        var scores = perItem.ToDictionary(p => p.Key, p => ((p.Value.Count * itemMeans[p.Key]) + (strength * mean)) / (p.Value.Count + strength), StringComparer.Ordinal);
        return new ItemScores(scores, fromRatings: true, mean, strength);
    }

    private static ItemScores FitWinRates(PreferenceItems items)
    {
        var counts = new Dictionary<string, (int Wins, int Comparisons)>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (items.HasItemsAt(i))
            {
                Count(items.ChosenItem(i)!, 1);
                Count(items.RejectedItem(i)!, 0);
            }
        }

        // Beta prior at 1/2: the observed variance of win rates = the true variance + the mean binomial variance.
        const double Half = 0.5;
        var rates = counts.Values.Select(c => (double)c.Wins / c.Comparisons).ToList();
        var between = Variance(rates) - counts.Values.Average(c => Half * Half / c.Comparisons);
        var strength = between > 0 ? Math.Clamp((Half * Half / between) - 1, 0, MaxPriorStrength) : MaxPriorStrength;
        var scores = counts.ToDictionary(c => c.Key, c => (c.Value.Wins + (strength * Half)) / (c.Value.Comparisons + strength), StringComparer.Ordinal);
        return new ItemScores(scores, fromRatings: false, Half, strength);

        void Count(string item, int win)
        {
            var (wins, comparisons) = counts.GetValueOrDefault(item);
            counts[item] = (wins + win, comparisons + 1);
        }
    }

    private static double Variance(IEnumerable<double> values)
    {
        var list = values as IReadOnlyCollection<double> ?? values.ToList();
        if (list.Count < 2)
        {
            return 0;
        }

        var mean = list.Average();
        return list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1);
    }
}

/// <summary>
/// What each user's records say about the items: the user's ratings (one per item, averaged when repeated), their
/// ratings centred on the user's own mean, or — without ratings — each item's net win share in the user's pairs
/// ((wins - losses) / comparisons, in [-1, 1]).
/// </summary>
internal static class UserItemValues
{
    /// <summary>Per user, item to rating (mean over the user's records that rate it).</summary>
    public static Dictionary<UserId, Dictionary<string, double>> Ratings(PreferenceDataset data, PreferenceItems items)
    {
        var sums = new Dictionary<UserId, Dictionary<string, (double Sum, int Count)>>();
        for (var i = 0; i < data.Count; i++)
        {
            if (!items.HasItemsAt(i) || !items.HasRatingsAt(i))
            {
                continue;
            }

            var user = data.UserAt(i);
            if (!sums.TryGetValue(user, out var values))
            {
                sums[user] = values = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
            }

            Add(values, items.ChosenItem(i)!, items.ChosenRating(i));
            Add(values, items.RejectedItem(i)!, items.RejectedRating(i));
        }

        return sums.ToDictionary(u => u.Key, u => u.Value.ToDictionary(v => v.Key, v => v.Value.Sum / v.Value.Count, StringComparer.Ordinal));

        static void Add(Dictionary<string, (double Sum, int Count)> values, string item, double rating)
        {
            var (sum, count) = values.GetValueOrDefault(item);
            values[item] = (sum + rating, count + 1);
        }
    }

    /// <summary>
    /// Per user, item to a centred value: the rating minus the user's mean rating (with ratings), or the item's net win
    /// share in the user's pairs (without).
    /// </summary>
    public static Dictionary<UserId, Dictionary<string, double>> Centred(PreferenceDataset data, PreferenceItems items, bool fromRatings)
    {
        if (fromRatings)
        {
            return Ratings(data, items).ToDictionary(
                u => u.Key,
                u =>
                {
                    var mean = u.Value.Values.Average();
                    return u.Value.ToDictionary(v => v.Key, v => v.Value - mean, StringComparer.Ordinal);
                });
        }

        var outcomes = new Dictionary<UserId, Dictionary<string, (int Net, int Count)>>();
        for (var i = 0; i < data.Count; i++)
        {
            if (!items.HasItemsAt(i))
            {
                continue;
            }

            var user = data.UserAt(i);
            if (!outcomes.TryGetValue(user, out var values))
            {
                outcomes[user] = values = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
            }

            Add(values, items.ChosenItem(i)!, 1);
            Add(values, items.RejectedItem(i)!, -1);
        }

        return outcomes.ToDictionary(u => u.Key, u => u.Value.ToDictionary(v => v.Key, v => (double)v.Value.Net / v.Value.Count, StringComparer.Ordinal));

        static void Add(Dictionary<string, (int Net, int Count)> values, string item, int outcome)
        {
            var (net, count) = values.GetValueOrDefault(item);
            values[item] = (net + outcome, count + 1);
        }
    }
}
