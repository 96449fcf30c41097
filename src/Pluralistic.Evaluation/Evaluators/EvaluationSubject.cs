namespace Pluralistic.Evaluation;

/// <summary>
/// What the evaluation loop (<see cref="PairEvaluation"/>) needs from whatever it evaluates — a trained model or a
/// reference row — so that both are split, scored and measured by the same code. Records are given as indices into the
/// evaluated dataset, so a subject can follow them in data of its own (a reference row's item ids).
/// </summary>
internal abstract class EvaluationSubject
{
    /// <summary>Scores records with what the subject holds for their users (no context).</summary>
    public abstract Task<PairPredictions> ScoreAsync(PreferenceDataset data, int[] queries, ScoringOptions scoring, CancellationToken cancellationToken);

    /// <summary>
    /// Adapts the users of the context records in a throw-away copy of what the subject holds (with every context label
    /// flipped when asked), then scores the queries.
    /// </summary>
    public abstract Task<PairPredictions> ScoreAfterContextAsync(
        PreferenceDataset data, int[] context, bool flipContext, int[] queries, AdaptationOptions adaptation, ScoringOptions scoring, CancellationToken cancellationToken);

    /// <summary>
    /// Scores the queries after inferring each of <paramref name="users"/> from their context records alone (nothing
    /// the subject holds for them is used); with no context records, scores the population-level prediction.
    /// Returns the predictions and the time adaptation took.
    /// </summary>
    public abstract Task<(PairPredictions Predictions, TimeSpan Adaptation)> ScoreFromContextAloneAsync(
        PreferenceDataset data, int[] context, IReadOnlyList<UserId> users, int[] queries, CancellationToken cancellationToken);
}

/// <summary>A trained model as an evaluation subject: context adapts users in an overlay of its state store.</summary>
internal sealed class ModelSubject(IUserRewardModel model) : EvaluationSubject
{
    public override Task<PairPredictions> ScoreAsync(PreferenceDataset data, int[] queries, ScoringOptions scoring, CancellationToken cancellationToken) =>
        model.ScorePairsAsync(queries.Length == data.Count ? data : data.Select(queries), scoring, cancellationToken);

    public override async Task<PairPredictions> ScoreAfterContextAsync(
        PreferenceDataset data, int[] context, bool flipContext, int[] queries, AdaptationOptions adaptation, ScoringOptions scoring, CancellationToken cancellationToken)
    {
        var contextData = data.Select(context);
        using var scratch = ScratchUserStates.Create(model);
        await scratch.Model.AdaptAsync(flipContext ? contextData.WithLabelsFlipped() : contextData, adaptation, cancellationToken).ConfigureAwait(false);
        return await scratch.Model.ScorePairsAsync(data.Select(queries), scoring, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<(PairPredictions Predictions, TimeSpan Adaptation)> ScoreFromContextAloneAsync(
        PreferenceDataset data, int[] context, IReadOnlyList<UserId> users, int[] queries, CancellationToken cancellationToken)
    {
        using var scratch = ScratchUserStates.Create(model);

        // What the store holds for a user must not leak into the prediction: the state comes from the context alone.
        foreach (var user in users)
        {
            await scratch.Store.DeleteAsync(user, cancellationToken).ConfigureAwait(false);
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        if (context.Length > 0)
        {
            await scratch.Model.AdaptAsync(data.Select(context), new AdaptationOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
        }

        var adaptation = stopwatch.Elapsed;
        var predictions = await scratch.Model.ScorePairsAsync(data.Select(queries), new ScoringOptions { AllowColdStart = context.Length == 0 }, cancellationToken).ConfigureAwait(false);
        return (predictions, adaptation);
    }
}
