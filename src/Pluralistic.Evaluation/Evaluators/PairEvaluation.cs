using System.Diagnostics;

namespace Pluralistic.Evaluation;

/// <summary>
/// The evaluation loop that models and reference rows share: which records are context and which are queries, what is
/// scored, and what is measured (<see cref="RewardModelEvaluator"/> and <see cref="ReferenceEvaluator"/> call it).
/// </summary>
internal static class PairEvaluation
{
    public static async Task<EvaluationResult> EvaluateAsync(
        EvaluationSubject subject, PreferenceDataset data, EvaluationOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= EvaluationOptions.Default;
        Validate(options);
        var stopwatch = Stopwatch.StartNew();
        var scoring = new ScoringOptions { AllowColdStart = options.AllowColdStart, Direction = options.Direction };

        if (options.ContextPairs == 0 && options.QueryStart is null or 0)
        {
            var all = Enumerable.Range(0, data.Count).ToArray();
            var predictions = await subject.ScoreAsync(data, all, scoring, cancellationToken).ConfigureAwait(false);
            return new EvaluationResult
            {
                Metrics = PreferenceMetrics.Compute(data, predictions),
                ScoredData = data,
                Predictions = predictions,
                Records = all,
                Lines = Lines(data),
                Elapsed = stopwatch.Elapsed,
            };
        }

        var (context, queries, usersWithoutQueries) = SplitContext(data, options.ContextPairs, options.QueryStart ?? options.ContextPairs);
        var queryData = data.Select(queries);
        var adaptation = new AdaptationOptions { Replace = options.ReplaceStoredStates };
        var queryPredictions = context.Length == 0
            ? await subject.ScoreAsync(data, queries, scoring, cancellationToken).ConfigureAwait(false)
            : await subject.ScoreAfterContextAsync(data, context, false, queries, adaptation, scoring, cancellationToken).ConfigureAwait(false);

        double? sensitivity = null;
        if (options.MeasureContextSensitivity)
        {
            var flipped = await subject.ScoreAfterContextAsync(data, context, true, queries, adaptation, scoring, cancellationToken).ConfigureAwait(false);
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

    public static async Task<FewShotCurve> FewShotCurveAsync(
        EvaluationSubject subject, PreferenceDataset data, FewShotOptions? options, CancellationToken cancellationToken)
    {
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
            var (predictions, adaptation) = await subject.ScoreFromContextAloneAsync(data, context, eligibleUsers, queries, cancellationToken).ConfigureAwait(false);
            points.Add(new FewShotPoint(k, PreferenceMetrics.Compute(queryData, predictions), adaptation) { Predictions = predictions });
        }

        return new FewShotCurve
        {
            Points = points,
            QueryRecords = queries,
            QueryLines = Lines(queryData),
            QueryData = queryData,
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

        if (options.QueryStart is { } start && start < options.ContextPairs)
        {
            throw new ArgumentException($"queries must start at or after the context pairs (query start {start}, context pairs {options.ContextPairs})", nameof(options));
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

    /// <summary>
    /// The context records of users that have queries (each user's first <paramref name="contextPairs"/>), the queries
    /// (each user's records from position <paramref name="queryStart"/> on), and the number of users without queries.
    /// </summary>
    private static (int[] Context, int[] Queries, int UsersWithoutQueries) SplitContext(PreferenceDataset data, int contextPairs, int queryStart)
    {
        var (context, _) = PreferenceSplits.ContextAndQueries(data, contextPairs);
        var (_, queries) = PreferenceSplits.ContextAndQueries(data, queryStart);
        if (queries.Length == 0)
        {
            throw new ArgumentException($"no record is left to score: every user has at most {queryStart} records (the context pairs)", nameof(data));
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
