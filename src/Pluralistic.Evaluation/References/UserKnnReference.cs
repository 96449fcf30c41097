namespace Pluralistic.Evaluation;

/// <summary>
/// User-user k-nearest neighbours, the classic collaborative filter. Needs item ids on the records. Each training
/// user is a profile of residuals over the items they rated: their rating centred on their own mean (without ratings:
/// the item's net win share in their pairs) minus the item's population offset (<see cref="ItemMeanReference"/>'s
/// shrunk mean). Two users' similarity is the cosine of their residuals over the items both rated (Pearson-like, as
/// both are centred), shrunk by <c>n / (n + 10)</c> for n co-rated items so that a few co-ratings cannot make a close
/// neighbour; only positive similarities count. A user's score for an item is the item's offset plus the similarity-
/// weighted mean residual of the 30 most similar users who rated it, with one unit of prior weight in the denominator
/// (few or weak neighbours pull the score towards the item's mean; none leaves it there). <c>p(chosen)</c> is
/// <c>sigmoid(b * (score_chosen - score_rejected))</c> with b fitted on (up to 20,000) training pairs, each predicted
/// without the user among their own neighbours. A few-shot user's profile comes from their context pairs alone.
/// </summary>
public sealed class UserKnnReference : ReferenceModel
{
    /// <summary>Neighbours per prediction.</summary>
    public const int Neighbours = 30;

    /// <summary>Co-rated items at which a similarity keeps half its value.</summary>
    public const double SimilarityShrinkage = 10;

    /// <summary>Prior weight of the item's mean against the neighbours (in units of similarity).</summary>
    public const double NeighbourPrior = 1;

    private const int ScalePairs = 20_000;

    /// <inheritdoc />
    public override string Name => "user-knn";

    /// <inheritdoc />
    public override string Description => "user-user kNN on centred ratings (pair outcomes without ratings), falling back to the item mean";

    /// <inheritdoc />
    public override string? NotApplicableReason(PreferenceDataset train, PreferenceItems? items) =>
        items is { HasItems: true } ? null : ItemMeanReference.ItemIdsMissing;

    /// <inheritdoc />
    protected override FittedReference FitCore(PreferenceDataset train, PreferenceItems? items, CancellationToken cancellationToken)
    {
        var scores = ItemScores.Fit(train, items!);
        var fitted = new Fitted(Name, scores, UserItemValues.Centred(train, items!, scores.FromRatings));

        // The probability scale, on a seeded sample of training pairs: each predicted from the user's own profile.
        var records = Enumerable.Range(0, train.Count).Where(items!.HasItemsAt).ToArray();
        new Random(0).Shuffle(records);
        var sample = records.Take(ScalePairs).ToArray();
        var differences = new List<double>(sample.Length);
        foreach (var byUser in sample.GroupBy(train.UserAt))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var similarities = fitted.SimilaritiesOfTrainingUser(byUser.Key);
            foreach (var i in byUser)
            {
                differences.Add(fitted.Score(items!.ChosenItem(i)!, similarities) - fitted.Score(items.RejectedItem(i)!, similarities));
            }
        }

        fitted.Scale = LogisticFit.FitScale(differences);
        return fitted;
    }

    private sealed class Fitted : FittedReference
    {
        private readonly ItemScores _scores;
        private readonly Dictionary<UserId, int> _userIndex = [];
        private readonly List<Dictionary<string, double>> _profiles = [];
        private readonly Dictionary<string, List<(int User, double Residual)>> _raters = new(StringComparer.Ordinal);

        public Fitted(string name, ItemScores scores, Dictionary<UserId, Dictionary<string, double>> centred)
        {
            Name = name;
            _scores = scores;
            foreach (var (user, values) in centred)
            {
                var index = _profiles.Count;
                _userIndex[user] = index;
                var profile = Residuals(values);
                _profiles.Add(profile);
                foreach (var (item, residual) in profile)
                {
                    if (!_raters.TryGetValue(item, out var raters))
                    {
                        _raters[item] = raters = [];
                    }

                    raters.Add((index, residual));
                }
            }
        }

        public override string Name { get; }

        public double Scale { get; set; } = 1;

        public Dictionary<int, double> SimilaritiesOfTrainingUser(UserId user) =>
            Similarities(_profiles[_userIndex[user]], _userIndex[user]);

        /// <summary>The item's score for a user with these neighbour similarities: its offset plus the neighbours' say.</summary>
        public double Score(string item, Dictionary<int, double> similarities)
        {
            var offset = _scores.Offset(item);
            if (similarities.Count == 0 || !_raters.TryGetValue(item, out var raters))
            {
                return offset;
            }

            double weighted = 0, total = 0;
            foreach (var (user, residual, similarity) in raters
                .Where(r => similarities.ContainsKey(r.User))
                .Select(r => (r.User, r.Residual, Similarity: similarities[r.User]))
                .OrderByDescending(r => r.Similarity)
                .ThenBy(r => r.User)
                .Take(Neighbours))
            {
                weighted += similarity * residual;
                total += similarity;
            }

            return offset + (weighted / (total + NeighbourPrior));
        }

        protected override PairPredictions PredictCore(PreferenceDataset queries, PreferenceItems? queryItems, PreferenceDataset? context, PreferenceItems? contextItems)
        {
            var chosen = new float[queries.Count];
            var rejected = new float[queries.Count];
            var contextProfiles = context is null || contextItems is null
                ? null
                : UserItemValues.Centred(context, contextItems, _scores.FromRatings).ToDictionary(u => u.Key, u => Residuals(u.Value));
            foreach (var byUser in Enumerable.Range(0, queries.Count).Where(i => queryItems?.HasItemsAt(i) == true).GroupBy(queries.UserAt))
            {
                var self = _userIndex.GetValueOrDefault(byUser.Key, -1);
                var similarities = context is null
                    ? self >= 0 ? Similarities(_profiles[self], self) : []
                    : contextProfiles?.GetValueOrDefault(byUser.Key) is { } profile ? Similarities(profile, self) : [];
                foreach (var i in byUser)
                {
                    chosen[i] = (float)(Scale * Score(queryItems!.ChosenItem(i)!, similarities));
                    rejected[i] = (float)(Scale * Score(queryItems.RejectedItem(i)!, similarities));
                }
            }

            return new PairPredictions(chosen, rejected);
        }

        private Dictionary<string, double> Residuals(Dictionary<string, double> centred) =>
            centred.ToDictionary(v => v.Key, v => v.Value - _scores.Offset(v.Key), StringComparer.Ordinal);

        /// <summary>Positive, shrunk similarities of a profile to every training user who shares an item with it (never to <paramref name="self"/>).</summary>
        private Dictionary<int, double> Similarities(Dictionary<string, double> profile, int self)
        {
            var sums = new Dictionary<int, (double Dot, double Own, double Other, int Shared)>();
            foreach (var (item, residual) in profile)
            {
                if (!_raters.TryGetValue(item, out var raters))
                {
                    continue;
                }

                foreach (var (user, other) in raters)
                {
                    if (user == self)
                    {
                        continue;
                    }

                    var (dot, own, otherSquares, shared) = sums.GetValueOrDefault(user);
                    sums[user] = (dot + (residual * other), own + (residual * residual), otherSquares + (other * other), shared + 1);
                }
            }

            var similarities = new Dictionary<int, double>();
            foreach (var (user, (dot, own, other, shared)) in sums)
            {
                if (own > 0 && other > 0)
                {
                    var similarity = dot / Math.Sqrt(own * other) * shared / (shared + SimilarityShrinkage);
                    if (similarity > 0)
                    {
                        similarities[user] = similarity;
                    }
                }
            }

            return similarities;
        }
    }
}
