namespace Pluralistic.Evaluation;

/// <summary>
/// A per-user linear model on the response vectors: linear Bradley-Terry (logistic regression on chosen - rejected)
/// for the population, then for each user the same regression on their own pairs with an L2 prior centred on the
/// population's weights — with no pairs a user gets the population reward, with a few a little of their own. Works on
/// any data with vectors (text is embedded by the run's embedder); prompt vectors are not used.
/// </summary>
/// <remarks>
/// Both prior strengths are fitted on the training pairs, in units of the mean squared length of a difference vector
/// (so that 1 weighs about as much as one typical pair): the population's on a random tenth of the pairs held out, the
/// users' on a quarter of the pairs of up to 200 training users held out — over items those users did not rate in the
/// rest when the records carry item ids, at random otherwise — each from a grid of 0.01 to 100.
/// </remarks>
public sealed class UserLinearReference : ReferenceModel
{
    private const int ValidationUsers = 200;
    private const int MinimumValidationPairs = 6;
    private static readonly double[] PriorGrid = [100, 30, 10, 3, 1, 0.3, 0.1, 0.03, 0.01];

    /// <inheritdoc />
    public override string Name => "user-linear";

    /// <inheritdoc />
    public override string Description => "per-user logistic regression on the response vectors, L2 prior centred on the population's linear Bradley-Terry weights";

    /// <inheritdoc />
    public override string? NotApplicableReason(PreferenceDataset train, PreferenceItems? items) => null;

    /// <inheritdoc />
    protected override FittedReference FitCore(PreferenceDataset train, PreferenceItems? items, CancellationToken cancellationToken)
    {
        var rows = new DifferenceRows(train);
        var unit = Enumerable.Range(0, rows.Count).Average(i => VectorMath.Dot(rows.Row(i), rows.Row(i)));
        unit = unit > 0 ? unit : 1;

        // The population: pick the prior on a tenth of the pairs, refit on all of them.
        var shuffled = Enumerable.Range(0, rows.Count).ToArray();
        new Random(0).Shuffle(shuffled);
        var held = shuffled[..(shuffled.Length / 10)];
        var fitOn = shuffled[(shuffled.Length / 10)..];
        var zero = new float[rows.Dimension];
        var populationPrior = held.Length == 0 ? PriorGrid[^1] : SelectPrior(rows, [(fitOn, held)], zero, unit, cancellationToken);
        var population = LogisticFit.Fit(rows, Enumerable.Range(0, rows.Count).ToArray(), zero, populationPrior * unit);

        // The users: pick the prior on held-out pairs of some training users, then fit every user.
        var (userTrain, userHeld, _) = items is { HasItems: true }
            ? PreferenceSplits.ItemDisjoint(train, items, 0.25, seed: 0)
            : AsTriple(PreferenceSplits.TrainValidation(train, 0.25, seed: 0));
        var byUser = train.RecordsByUser();
        var trainSet = userTrain.ToHashSet();
        var heldSet = userHeld.ToHashSet();
        var validation = Enumerable.Range(0, byUser.Count)
            .Where(u => byUser[u].Length >= MinimumValidationPairs)
            .Select(u => (Fit: byUser[u].Where(trainSet.Contains).ToArray(), Held: byUser[u].Where(heldSet.Contains).ToArray()))
            .Where(s => s.Fit.Length > 0 && s.Held.Length > 0)
            .ToArray();
        new Random(1).Shuffle(validation);
        var userPrior = validation.Length == 0
            ? 1.0
            : SelectPrior(rows, validation.Take(ValidationUsers).ToArray(), population, unit, cancellationToken);

        var weights = new Dictionary<UserId, float[]>(byUser.Count);
        for (var u = 0; u < byUser.Count; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            weights[train.Users[u]] = LogisticFit.Fit(rows, byUser[u], population, userPrior * unit);
        }

        return new Fitted(Name, train.ResponseDimension, population, weights, userPrior * unit);
    }

    private static (int[], int[], int[]) AsTriple((int[] Train, int[] Validation) split) => (split.Train, split.Validation, []);

    /// <summary>The prior strength of <see cref="PriorGrid"/> (times <paramref name="unit"/>) with the lowest held-out log-loss over the splits.</summary>
    private static double SelectPrior(DifferenceRows rows, (int[] Fit, int[] Held)[] splits, float[] prior, double unit, CancellationToken cancellationToken)
    {
        var best = (Loss: double.PositiveInfinity, Strength: PriorGrid[0]);
        var starts = new float[splits.Length][];
        foreach (var strength in PriorGrid)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var loss = 0.0;
            for (var s = 0; s < splits.Length; s++)
            {
                // From strong to weak priors, each fit starts from the last: a warm start saves most of the steps.
                starts[s] = LogisticFit.Fit(rows, splits[s].Fit, prior, strength * unit, starts[s]);
                loss += LogisticFit.MeanLogLoss(rows, splits[s].Held, starts[s]) * splits[s].Held.Length;
            }

            if (loss < best.Loss)
            {
                best = (loss, strength);
            }
        }

        return best.Strength;
    }

    private sealed class Fitted(string name, int dimension, float[] population, Dictionary<UserId, float[]> users, double userPrior) : FittedReference
    {
        public override string Name => name;

        protected override PairPredictions PredictCore(PreferenceDataset queries, PreferenceItems? queryItems, PreferenceDataset? context, PreferenceItems? contextItems)
        {
            Check(queries);
            var fromContext = new Dictionary<UserId, float[]>();
            if (context is { Count: > 0 })
            {
                Check(context);
                var rows = new DifferenceRows(context);
                var byUser = context.RecordsByUser();
                for (var u = 0; u < byUser.Count; u++)
                {
                    fromContext[context.Users[u]] = LogisticFit.Fit(rows, byUser[u], population, userPrior);
                }
            }

            var chosen = new float[queries.Count];
            var rejected = new float[queries.Count];
            for (var i = 0; i < queries.Count; i++)
            {
                var user = queries.UserAt(i);
                var w = context is null ? users.GetValueOrDefault(user, population) : fromContext.GetValueOrDefault(user, population);
                chosen[i] = (float)VectorMath.Dot(w, queries.ChosenVector(i));
                rejected[i] = (float)VectorMath.Dot(w, queries.RejectedVector(i));
            }

            return new PairPredictions(chosen, rejected);
        }

        private void Check(PreferenceDataset data)
        {
            if (data.ResponseDimension != dimension)
            {
                throw new DimensionMismatchException("response embedding", dimension, data.ResponseDimension);
            }
        }
    }
}
