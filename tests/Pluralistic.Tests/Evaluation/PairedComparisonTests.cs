using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Evaluation;

public class PairedComparisonTests
{
    private static readonly PreferenceDataset Data = Build(("a", 4), ("b", 4), ("c", 4));

    private static PreferenceDataset Build(params (string User, int Pairs)[] users)
    {
        var builder = new PreferenceDatasetBuilder(1);
        foreach (var (user, pairs) in users)
        {
            for (var i = 0; i < pairs; i++)
            {
                builder.Add(new UserId(user), [1f], [0f]);
            }
        }

        return builder.Build();
    }

    /// <summary>An evaluation of <see cref="Data"/> whose predictions are right exactly where <paramref name="hits"/> says.</summary>
    private static EvaluationResult Evaluation(bool[] hits, PreferenceDataset? data = null)
    {
        data ??= Data;
        var predictions = new PairPredictions(hits.Select(h => h ? 1f : 0f).ToArray(), hits.Select(h => h ? 0f : 1f).ToArray());
        var records = Enumerable.Range(0, data.Count).ToList();
        return new EvaluationResult
        {
            Metrics = PreferenceMetrics.Compute(data, predictions),
            ScoredData = data,
            Predictions = predictions,
            Records = records,
            Lines = records.Select(r => (long)r).ToList(),
        };
    }

    [Fact]
    public void The_difference_is_the_accuracy_difference_and_the_error_is_clustered_by_user()
    {
        // Per user, hits of model - hits of baseline: a +2, b 0, c +1 (4 pairs each).
        var model = Evaluation([true, true, true, true, true, false, false, false, true, true, true, false]);
        var baseline = Evaluation([true, true, false, false, false, false, false, true, true, true, false, false]);

        var result = PairedComparison.Compare(model, baseline);

        Assert.Equal(model.Metrics.Accuracy - baseline.Metrics.Accuracy, result.Difference, 12);
        Assert.Equal(0.25, result.Difference, 12);

        // Linearised ratio variance: residuals 2 - 1, 0 - 1, 1 - 1; sqrt(2 * 3 / 2) / 12.
        Assert.Equal(Math.Sqrt(3) / 12, result.StandardError, 12);
        Assert.Equal(3, result.Users);
        Assert.Equal(12, result.Pairs);
        Assert.Equal("+25.0 ± 14.4", result.ToPoints());
    }

    [Fact]
    public void Identical_predictions_differ_by_nothing()
    {
        var hits = new[] { true, false, true, true, false, true, false, true, true, true, false, false };
        var result = PairedComparison.Compare(Evaluation(hits), Evaluation(hits));
        Assert.Equal(0, result.Difference);
        Assert.Equal(0, result.StandardError);
    }

    [Fact]
    public void Evaluations_of_different_records_are_refused()
    {
        var other = Build(("a", 4), ("b", 4));
        var error = Assert.Throws<ArgumentException>(() => PairedComparison.Compare(Evaluation(new bool[12]), Evaluation(new bool[8], other)));
        Assert.Contains("different records", error.Message, StringComparison.Ordinal);
    }
}
