using System.Diagnostics;

namespace Pluralistic.Evaluation;

/// <summary>
/// Evaluates a fitted reference row exactly as <see cref="RewardModelEvaluator"/> evaluates a model — the same
/// context/query split, metrics and result types — so a reference's figures and its paired margins over a method
/// (<see cref="PairedComparison"/>) are measured on the same records.
/// </summary>
public static class ReferenceEvaluator
{
    /// <summary>
    /// Scores the records of <paramref name="data"/> and measures the predictions, as
    /// <see cref="RewardModelEvaluator.EvaluateAsync"/> does. Users with context pairs are inferred from them alone;
    /// users without context are predicted from what the training pairs showed of them, or at population level.
    /// </summary>
    /// <param name="reference">The fitted reference.</param>
    /// <param name="data">The labelled records.</param>
    /// <param name="items">The records' items, when they name them.</param>
    /// <param name="options">Context pairs, query start, context sensitivity; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The metrics, the predictions and the records they belong to.</returns>
    /// <exception cref="ArgumentException">The options are invalid, the items do not match the records, or no record is left to score.</exception>
    /// <exception cref="CapabilityNotSupportedException">An explicit direction was asked for.</exception>
    public static Task<EvaluationResult> EvaluateAsync(
        FittedReference reference, PreferenceDataset data, PreferenceItems? items, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(data);
        ReferenceModel.CheckAligned(data, items);
        return PairEvaluation.EvaluateAsync(new ReferenceSubject(reference, items), data, options, cancellationToken);
    }

    /// <summary>
    /// Accuracy against the number of context pairs k on the same queries, as
    /// <see cref="RewardModelEvaluator.FewShotCurveAsync"/> measures it (k = 0: the population-level prediction).
    /// </summary>
    /// <param name="reference">The fitted reference.</param>
    /// <param name="data">The labelled records, typically of users the training pairs did not show.</param>
    /// <param name="items">The records' items, when they name them.</param>
    /// <param name="options">The context sizes; <see langword="null"/> for 1, 2, 5, 10 and 20.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The curve.</returns>
    /// <exception cref="ArgumentException">The context sizes are invalid, the items do not match, or no user has more records than the largest k.</exception>
    public static Task<FewShotCurve> FewShotCurveAsync(
        FittedReference reference, PreferenceDataset data, PreferenceItems? items, FewShotOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(data);
        ReferenceModel.CheckAligned(data, items);
        return PairEvaluation.FewShotCurveAsync(new ReferenceSubject(reference, items), data, options, cancellationToken);
    }

    /// <summary>A reference as an evaluation subject: records (and their items) are selected and predicted in one call.</summary>
    private sealed class ReferenceSubject(FittedReference reference, PreferenceItems? items) : EvaluationSubject
    {
        public override Task<PairPredictions> ScoreAsync(PreferenceDataset data, int[] queries, ScoringOptions scoring, CancellationToken cancellationToken)
        {
            CheckScoring(scoring);
            return Task.FromResult(reference.Predict(data.Select(queries), items?.Select(queries)));
        }

        public override Task<PairPredictions> ScoreAfterContextAsync(
            PreferenceDataset data, int[] context, bool flipContext, int[] queries, AdaptationOptions adaptation, ScoringOptions scoring, CancellationToken cancellationToken)
        {
            CheckScoring(scoring);
            var (contextData, contextItems) = (data.Select(context), items?.Select(context));
            if (flipContext)
            {
                (contextData, contextItems) = (contextData.WithLabelsFlipped(), contextItems?.WithLabelsFlipped());
            }

            return Task.FromResult(reference.Predict(data.Select(queries), items?.Select(queries), contextData, contextItems));
        }

        public override Task<(PairPredictions Predictions, TimeSpan Adaptation)> ScoreFromContextAloneAsync(
            PreferenceDataset data, int[] context, IReadOnlyList<UserId> users, int[] queries, CancellationToken cancellationToken)
        {
            // A reference infers a user in the same call that predicts: the time of the whole call is reported.
            var stopwatch = Stopwatch.StartNew();
            var predictions = reference.Predict(data.Select(queries), items?.Select(queries), data.Select(context), items?.Select(context));
            return Task.FromResult((predictions, stopwatch.Elapsed));
        }

        private void CheckScoring(ScoringOptions scoring)
        {
            if (scoring.Direction is not null)
            {
                throw new CapabilityNotSupportedException(reference.Name, "scoring with an explicit direction");
            }
        }
    }
}
