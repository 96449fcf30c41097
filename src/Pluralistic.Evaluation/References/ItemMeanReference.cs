namespace Pluralistic.Evaluation;

/// <summary>
/// The item's mean rating, no personalisation: every user prefers the item the training users rated higher on
/// average. Needs item ids on the records; with ratings, each item's score is its mean rating shrunk towards the global
/// mean (a Bayesian average whose prior strength is fitted on the training ratings by the method of moments); with item
/// ids but no ratings, its win rate in the training pairs shrunk towards one half the same way. <c>p(chosen)</c> is
/// <c>sigmoid(b * (score_chosen - score_rejected))</c> with the scale b fitted on the training pairs. An item no
/// training pair showed scores the prior; a pair without item ids is a coin flip (p = 0.5, which strict accuracy counts
/// as wrong).
/// </summary>
public sealed class ItemMeanReference : ReferenceModel
{
    /// <inheritdoc />
    public override string Name => "item-mean";

    /// <inheritdoc />
    public override string Description => "the item's mean rating over the training users, shrunk towards the global mean (its win rate without ratings); no personalisation";

    /// <inheritdoc />
    public override string? NotApplicableReason(PreferenceDataset train, PreferenceItems? items) =>
        items is { HasItems: true } ? null : ItemIdsMissing;

    /// <summary>The reason shared by the references that need item ids.</summary>
    internal const string ItemIdsMissing = "the records name no items (item ids, e.g. the item_chosen / item_rejected keys that 'import ratings' writes)";

    /// <inheritdoc />
    protected override FittedReference FitCore(PreferenceDataset train, PreferenceItems? items, CancellationToken cancellationToken)
    {
        var scores = ItemScores.Fit(train, items!);
        var differences = Enumerable.Range(0, items!.Count)
            .Where(items.HasItemsAt)
            .Select(i => scores.Score(items.ChosenItem(i)) - scores.Score(items.RejectedItem(i)))
            .ToList();
        return new Fitted(Name, scores, LogisticFit.FitScale(differences));
    }

    private sealed class Fitted(string name, ItemScores scores, double scale) : FittedReference
    {
        public override string Name => name;

        protected override PairPredictions PredictCore(PreferenceDataset queries, PreferenceItems? queryItems, PreferenceDataset? context, PreferenceItems? contextItems)
        {
            var chosen = new float[queries.Count];
            var rejected = new float[queries.Count];
            for (var i = 0; i < queries.Count; i++)
            {
                if (queryItems?.HasItemsAt(i) == true)
                {
                    chosen[i] = (float)(scale * scores.Score(queryItems.ChosenItem(i)));
                    rejected[i] = (float)(scale * scores.Score(queryItems.RejectedItem(i)));
                }
            }

            return new PairPredictions(chosen, rejected);
        }
    }
}
