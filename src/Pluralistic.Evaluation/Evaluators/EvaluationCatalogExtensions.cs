namespace Pluralistic.Evaluation;

/// <summary>The evaluation entry points of the catalog API: <c>context.Evaluation.EvaluateAsync(model, data)</c>.</summary>
public static class EvaluationCatalogExtensions
{
    /// <summary>Scores and measures labelled pairs (see <see cref="RewardModelEvaluator.EvaluateAsync"/>).</summary>
    /// <param name="catalog">The evaluation catalog.</param>
    /// <param name="model">The model.</param>
    /// <param name="data">The labelled records.</param>
    /// <param name="options">Context pairs, cold start, context sensitivity; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The metrics and predictions.</returns>
    public static Task<EvaluationResult> EvaluateAsync(
        this EvaluationCatalog catalog,
        IUserRewardModel model,
        PreferenceDataset data,
        EvaluationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return RewardModelEvaluator.EvaluateAsync(model, data, options, cancellationToken);
    }

    /// <summary>Measures accuracy against the number of context pairs (see <see cref="RewardModelEvaluator.FewShotCurveAsync"/>).</summary>
    /// <param name="catalog">The evaluation catalog.</param>
    /// <param name="model">The model.</param>
    /// <param name="data">The labelled records, typically of unseen users.</param>
    /// <param name="options">The context sizes; <see langword="null"/> for 1, 2, 5, 10 and 20.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The curve.</returns>
    public static Task<FewShotCurve> FewShotCurveAsync(
        this EvaluationCatalog catalog,
        IUserRewardModel model,
        PreferenceDataset data,
        FewShotOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return RewardModelEvaluator.FewShotCurveAsync(model, data, options, cancellationToken);
    }

    /// <summary>Compares questions chosen by the model with random ones (see <see cref="ActiveLearningExperiment.RunAsync"/>).</summary>
    /// <param name="catalog">The evaluation catalog.</param>
    /// <param name="model">A model offering <see cref="IActiveQuestionSelector"/>.</param>
    /// <param name="data">The labelled records, typically of unseen users.</param>
    /// <param name="options">Pool, budget and random repeats; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the experiment.</param>
    /// <returns>The curve.</returns>
    public static Task<ActiveLearningCurve> ActiveLearningCurveAsync(
        this EvaluationCatalog catalog,
        IUserRewardModel model,
        PreferenceDataset data,
        ActiveLearningOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return ActiveLearningExperiment.RunAsync(model, data, options, cancellationToken);
    }

    /// <summary>Measures existing predictions (see <see cref="PreferenceMetrics.Compute(PreferenceDataset, PairPredictions, IReadOnlyList{int}?)"/>).</summary>
    /// <param name="catalog">The evaluation catalog.</param>
    /// <param name="data">The labelled records.</param>
    /// <param name="predictions">One prediction per record of <paramref name="data"/>.</param>
    /// <param name="records">The record indices to measure; <see langword="null"/> for all.</param>
    /// <returns>The metrics.</returns>
    public static PreferenceMetrics ComputeMetrics(
        this EvaluationCatalog catalog, PreferenceDataset data, PairPredictions predictions, IReadOnlyList<int>? records = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return PreferenceMetrics.Compute(data, predictions, records);
    }
}
