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
        var unit = PriorSelection.Unit(rows);

        // The population: pick the prior on a tenth of the pairs, refit on all of them.
        var shuffled = Enumerable.Range(0, rows.Count).ToArray();
        new Random(0).Shuffle(shuffled);
        var held = shuffled[..(shuffled.Length / 10)];
        var fitOn = shuffled[(shuffled.Length / 10)..];
        var zero = new float[rows.Dimension];
        var populationPrior = held.Length == 0 ? PriorSelection.Weakest : PriorSelection.Select(rows, [(fitOn, held)], zero, unit, cancellationToken);
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
            : PriorSelection.Select(rows, validation.Take(ValidationUsers).ToArray(), population, unit, cancellationToken);

        var weights = new Dictionary<UserId, float[]>(byUser.Count);
        for (var u = 0; u < byUser.Count; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            weights[train.Users[u]] = LogisticFit.Fit(rows, byUser[u], population, userPrior * unit);
        }

        return new Fitted(Name, train.ResponseDimension, population, weights, userPrior * unit);
    }

    private static (int[], int[], int[]) AsTriple((int[] Train, int[] Validation) split) => (split.Train, split.Validation, []);

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
