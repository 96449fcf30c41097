using System.Diagnostics;

namespace Pluralistic.Evaluation;

/// <summary>
/// Evaluates an <see cref="IUserRewardModel"/> on labelled pairs: plain scoring with stored states, few-shot
/// evaluation with each user's first pairs as context, context sensitivity (label flip) and few-shot curves.
/// </summary>
/// <remarks>
/// Users are adapted from context pairs in a throw-away overlay of the model's state store (reached through
/// <see cref="IUserStateStoreAccessor"/>), so evaluation never changes what the model has stored. Each evaluation
/// uses its own overlays, so concurrent evaluations of one (thread-safe) model do not see each other's users.
/// </remarks>
public static class RewardModelEvaluator
{
    /// <summary>
    /// Scores the records of <paramref name="data"/> and measures the predictions. With
    /// <see cref="EvaluationOptions.ContextPairs"/> K &gt; 0, the first K records of each user are context, the model
    /// adapts those users from them in a throw-away overlay, and the remaining records (the queries) are measured.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The labelled records.</param>
    /// <param name="options">Context pairs, cold start, context sensitivity; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The metrics, the predictions and the records they belong to.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or no record is left to score.</exception>
    /// <exception cref="UnknownUserException">A user has no state and no context, and cold start is off.</exception>
    /// <exception cref="CapabilityNotSupportedException">
    /// Context pairs were asked for but the model does not expose its state store (<see cref="IUserStateStoreAccessor"/>).
    /// </exception>
    public static async Task<EvaluationResult> EvaluateAsync(
        IUserRewardModel model, PreferenceDataset data, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options ??= EvaluationOptions.Default;
        Validate(options);
        var stopwatch = Stopwatch.StartNew();
        var scoring = new ScoringOptions { AllowColdStart = options.AllowColdStart, Direction = options.Direction };

        if (options.ContextPairs == 0)
        {
            var predictions = await model.ScorePairsAsync(data, scoring, cancellationToken).ConfigureAwait(false);
            return new EvaluationResult
            {
                Metrics = PreferenceMetrics.Compute(data, predictions),
                ScoredData = data,
                Predictions = predictions,
                Records = Enumerable.Range(0, data.Count).ToArray(),
                Lines = Lines(data),
                Elapsed = stopwatch.Elapsed,
            };
        }

        var (context, queries, usersWithoutQueries) = SplitContext(data, options.ContextPairs);
        var contextData = data.Select(context);
        var queryData = data.Select(queries);
        var adaptation = new AdaptationOptions { Replace = options.ReplaceStoredStates };
        var queryPredictions = await ScoreAfterContextAsync(model, contextData, queryData, adaptation, scoring, cancellationToken).ConfigureAwait(false);

        double? sensitivity = null;
        if (options.MeasureContextSensitivity)
        {
            var flipped = await ScoreAfterContextAsync(model, contextData.WithLabelsFlipped(), queryData, adaptation, scoring, cancellationToken).ConfigureAwait(false);
            sensitivity = ContextSensitivity.SideFlipFraction(queryPredictions, flipped);
        }

        return new EvaluationResult
        {
            Metrics = PreferenceMetrics.Compute(queryData, queryPredictions),
            ScoredData = queryData,
            Predictions = queryPredictions,
            Records = queries,
            Lines = Lines(queryData),
            ContextRecords = context.Length,
            UsersWithoutQueries = usersWithoutQueries,
            ContextSensitivity = sensitivity,
            Elapsed = stopwatch.Elapsed,
        };
    }

    /// <summary>
    /// Measures accuracy against the number of context pairs k. Every point is measured on the same queries: each
    /// user's records after the largest k (users with no such record are skipped and counted). For each k, every
    /// user's state is inferred from the user's first k records alone, in a fresh throw-away overlay; k = 0 scores
    /// the population-level (cold-start) prediction.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The labelled records, typically of users the model has not seen.</param>
    /// <param name="options">The context sizes; <see langword="null"/> for 1, 2, 5, 10 and 20.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The curve.</returns>
    /// <exception cref="ArgumentException">The context sizes are invalid, or no user has more records than the largest.</exception>
    /// <exception cref="CapabilityNotSupportedException">The model does not expose its state store.</exception>
    public static async Task<FewShotCurve> FewShotCurveAsync(
        IUserRewardModel model, PreferenceDataset data, FewShotOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options ??= FewShotOptions.Default;
        var sizes = ContextSizes(options);
        var largest = sizes[^1];
        var byUser = data.RecordsByUser();
        var eligible = Enumerable.Range(0, byUser.Count).Where(u => byUser[u].Length > largest).ToArray();
        if (eligible.Length == 0)
        {
            throw new ArgumentException($"no user has more than {largest} records, so no query is left after the largest context", nameof(data));
        }

        var queries = eligible.SelectMany(u => byUser[u][largest..]).Order().ToArray();
        var queryData = data.Select(queries);
        var eligibleUsers = eligible.Select(u => data.Users[u]).ToArray();
        var points = new List<FewShotPoint>(sizes.Length);
        foreach (var k in sizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var context = eligible.SelectMany(u => byUser[u][..k]).Order().ToArray();
            using var scratch = ScratchUserStates.Create(model);

            // What the store holds for a user must not leak into a point: the state comes from k pairs alone.
            foreach (var user in eligibleUsers)
            {
                await scratch.Store.DeleteAsync(user, cancellationToken).ConfigureAwait(false);
            }

            var stopwatch = Stopwatch.StartNew();
            if (k > 0)
            {
                await scratch.Model.AdaptAsync(data.Select(context), new AdaptationOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
            }

            var adaptation = stopwatch.Elapsed;
            var predictions = await scratch.Model.ScorePairsAsync(queryData, new ScoringOptions { AllowColdStart = k == 0 }, cancellationToken).ConfigureAwait(false);
            points.Add(new FewShotPoint(k, PreferenceMetrics.Compute(queryData, predictions), adaptation));
        }

        return new FewShotCurve
        {
            Points = points,
            QueryRecords = queries,
            QueryLines = Lines(queryData),
            Users = eligible.Length,
            SkippedUsers = byUser.Count - eligible.Length,
        };
    }

    private static void Validate(EvaluationOptions options)
    {
        if (options.ContextPairs < 0)
        {
            throw new ArgumentException($"context pairs must be >= 0 (got {options.ContextPairs})", nameof(options));
        }

        if (options.MeasureContextSensitivity && options.ContextPairs == 0)
        {
            throw new ArgumentException("measuring context sensitivity needs context pairs (ContextPairs > 0)", nameof(options));
        }
    }

    private static int[] ContextSizes(FewShotOptions options)
    {
        if (options.ContextSizes is not { Count: > 0 } given)
        {
            throw new ArgumentException("at least one context size is required", nameof(options));
        }

        if (given.Any(k => k < 0))
        {
            throw new ArgumentException($"context sizes must be >= 0 (got {string.Join(", ", given)})", nameof(options));
        }

        return [.. given.Distinct().Order()];
    }

    /// <summary>The context records of users that have queries, the queries, and the number of users without queries.</summary>
    private static (int[] Context, int[] Queries, int UsersWithoutQueries) SplitContext(PreferenceDataset data, int contextPairs)
    {
        var (context, queries) = PreferenceSplits.ContextAndQueries(data, contextPairs);
        if (queries.Length == 0)
        {
            throw new ArgumentException($"no record is left to score: every user has at most {contextPairs} records (the context pairs)", nameof(data));
        }

        // Adapting users that have nothing to score would only cost time.
        var userIndex = data.UserIndices.Span;
        var scored = new bool[data.Users.Count];
        foreach (var i in queries)
        {
            scored[userIndex[i]] = true;
        }

        var usedContext = new List<int>(context.Length);
        foreach (var i in context)
        {
            if (scored[userIndex[i]])
            {
                usedContext.Add(i);
            }
        }

        return ([.. usedContext], queries, scored.Count(s => !s));
    }

    private static async Task<PairPredictions> ScoreAfterContextAsync(
        IUserRewardModel model,
        PreferenceDataset context,
        PreferenceDataset queries,
        AdaptationOptions adaptation,
        ScoringOptions scoring,
        CancellationToken cancellationToken)
    {
        using var scratch = ScratchUserStates.Create(model);
        await scratch.Model.AdaptAsync(context, adaptation, cancellationToken).ConfigureAwait(false);
        return await scratch.Model.ScorePairsAsync(queries, scoring, cancellationToken).ConfigureAwait(false);
    }

    private static long[] Lines(PreferenceDataset data)
    {
        var lines = new long[data.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = data.LineAt(i);
        }

        return lines;
    }
}
