namespace Pluralistic.Evaluation;

/// <summary>
/// The accuracy difference of two models scored on the same pairs, with its standard error. Pairs of one user are
/// not independent (they share the user's adaptation), so the error is clustered by user: the linearised variance of
/// the ratio (sum of per-user hit differences) / (number of pairs), the usual cluster-robust estimate. With 60 users
/// and 30 queries each, the difference of two personalised models is typically known to about +-1 point only, which is
/// why benchmark margins are reported with it.
/// </summary>
public static class PairedComparison
{
    /// <summary>Compares two evaluations of the same records (same dataset, same context split).</summary>
    /// <param name="model">The model's evaluation.</param>
    /// <param name="baseline">The baseline's evaluation of the same records.</param>
    /// <returns>The difference model - baseline and its standard error (fractions, not points).</returns>
    /// <exception cref="ArgumentException">The two evaluations scored different records, or none.</exception>
    public static AccuracyDifference Compare(EvaluationResult model, EvaluationResult baseline)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(baseline);
        if (model.Records.Count == 0)
        {
            throw new ArgumentException("the evaluation scored no records", nameof(model));
        }

        if (!model.Records.SequenceEqual(baseline.Records))
        {
            throw new ArgumentException(
                $"the evaluations scored different records ({model.Records.Count} and {baseline.Records.Count}); compare evaluations of the same data with the same context pairs",
                nameof(baseline));
        }

        var data = model.ScoredData;
        var userIndex = data.UserIndices.Span;
        var users = data.Users.Count;
        var pairs = new int[users];
        var differences = new int[users];
        for (var i = 0; i < data.Count; i++)
        {
            var u = userIndex[i];
            pairs[u]++;
            differences[u] += (model.Predictions.ProbabilityChosen(i) > 0.5 ? 1 : 0) - (baseline.Predictions.ProbabilityChosen(i) > 0.5 ? 1 : 0);
        }

        var measured = Enumerable.Range(0, users).Where(u => pairs[u] > 0).ToList();
        double total = data.Count;
        var difference = measured.Sum(u => (double)differences[u]) / total;
        if (measured.Count < 2)
        {
            return new AccuracyDifference(difference, double.NaN, measured.Count, data.Count);
        }

        var squares = measured.Sum(u => Math.Pow(differences[u] - (difference * pairs[u]), 2));
        var standardError = Math.Sqrt(squares * measured.Count / (measured.Count - 1)) / total;
        return new AccuracyDifference(difference, standardError, measured.Count, data.Count);
    }
}

/// <summary>An accuracy difference between two models on the same pairs.</summary>
/// <param name="Difference">Accuracy of the model minus accuracy of the baseline (a fraction).</param>
/// <param name="StandardError">Its standard error clustered by user (NaN with fewer than two users).</param>
/// <param name="Users">Users with scored pairs.</param>
/// <param name="Pairs">Scored pairs.</param>
public sealed record AccuracyDifference(double Difference, double StandardError, int Users, int Pairs)
{
    /// <summary>The difference in points with its standard error, e.g. <c>+2.6 ± 0.9</c>.</summary>
    /// <returns>The formatted difference.</returns>
    public string ToPoints() => double.IsNaN(StandardError)
        ? (100 * Difference).ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture)
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{100 * Difference:+0.0;-0.0;0.0} ± {100 * StandardError:0.0}");
}
