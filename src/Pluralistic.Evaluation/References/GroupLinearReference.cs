namespace Pluralistic.Evaluation;

/// <summary>
/// A diagnostic, not a baseline: it reads the group label that synthetic records carry (<c>group</c>), which no
/// real deployment knows, and fits one linear Bradley-Terry reward per group on the response vectors (L2 prior centred
/// on the population's, strength picked on a quarter of the group's pairs held out). Every user is scored with their
/// group's reward, with or without context. Prompt vectors are not used, so pairs that only differ in how well they answer
/// the prompt are beyond it. On pairs where a population's groups disagree it shows what one such fit per group makes of
/// the vectors when the grouping itself is perfect. It is not a bound on what the vectors carry: its prior strength is
/// chosen on held-out pairs of every kind, and on the paraphrase preset a direction learned from training phrasings
/// alone separates the sides of reworded test answers far better than its contested column (docs/benchmarks.md, "what
/// 10 pairs allow").
/// </summary>
public sealed class GroupLinearReference : ReferenceModel
{
    /// <summary>The reference's name.</summary>
    public const string ReferenceName = "group-linear";

    /// <inheritdoc />
    public override string Name => ReferenceName;

    /// <inheritdoc />
    public override string Description => "knows each user's group (synthetic data only): one linear Bradley-Terry reward per group on the response vectors (prompts unused): what one regularised linear fit per group makes of these vectors";

    /// <inheritdoc />
    public override string? NotApplicableReason(PreferenceDataset train, PreferenceItems? items)
    {
        ArgumentNullException.ThrowIfNull(train);
        return train.GroupNames.Count == 0 ? "the records carry no group labels (only synthetic populations do)" : null;
    }

    /// <inheritdoc />
    protected override FittedReference FitCore(PreferenceDataset train, PreferenceItems? items, CancellationToken cancellationToken)
    {
        var rows = new DifferenceRows(train);
        var unit = PriorSelection.Unit(rows);
        var all = Enumerable.Range(0, rows.Count).ToArray();
        var zero = new float[rows.Dimension];
        var population = LogisticFit.Fit(rows, all, zero, PriorSelection.Select(rows, [HoldOut(all, 10, seed: 0)], zero, unit, cancellationToken) * unit);

        var groups = train.GroupIndices.ToArray();
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var g = 0; g < train.GroupNames.Count; g++)
        {
            var members = all.Where(i => groups[i] == g).ToArray();
            if (members.Length == 0)
            {
                continue;
            }

            var strength = members.Length < 8 ? 1.0 : PriorSelection.Select(rows, [HoldOut(members, 4, seed: g + 1)], population, unit, cancellationToken);
            weights[train.GroupNames[g]] = LogisticFit.Fit(rows, members, population, strength * unit);
        }

        return new Fitted(Name, train.ResponseDimension, population, weights);
    }

    /// <summary>One split of <paramref name="records"/>: every <paramref name="every"/>-th of a seeded shuffle held out.</summary>
    private static (int[] Fit, int[] Held) HoldOut(int[] records, int every, int seed)
    {
        var shuffled = (int[])records.Clone();
        new Random(seed).Shuffle(shuffled);
        var held = shuffled.Length / every;
        return (shuffled[held..], shuffled[..held]);
    }

    private sealed class Fitted(string name, int dimension, float[] population, Dictionary<string, float[]> groups) : FittedReference
    {
        public override string Name => name;

        protected override PairPredictions PredictCore(PreferenceDataset queries, PreferenceItems? queryItems, PreferenceDataset? context, PreferenceItems? contextItems)
        {
            if (queries.ResponseDimension != dimension)
            {
                throw new DimensionMismatchException("response embedding", dimension, queries.ResponseDimension);
            }

            var chosen = new float[queries.Count];
            var rejected = new float[queries.Count];
            for (var i = 0; i < queries.Count; i++)
            {
                var w = queries.GroupAt(i) is { } group ? groups.GetValueOrDefault(group, population) : population;
                chosen[i] = (float)VectorMath.Dot(w, queries.ChosenVector(i));
                rejected[i] = (float)VectorMath.Dot(w, queries.RejectedVector(i));
            }

            return new PairPredictions(chosen, rejected);
        }
    }
}
