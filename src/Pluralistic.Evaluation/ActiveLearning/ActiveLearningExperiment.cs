namespace Pluralistic.Evaluation;

/// <summary>
/// Measures whether a model's chosen questions teach it about a user faster than random ones. Each user's first
/// <see cref="ActiveLearningOptions.PoolSize"/> records are candidate questions with hidden labels and the rest are
/// queries. Actively, each round asks every user the candidate the model ranks first
/// (<see cref="IActiveQuestionSelector"/>, given the user's state after the answers so far), reveals its label and
/// re-infers the user from all answers; at random, the questions come in a seeded random order. After every round
/// both are scored on the same queries. Users are adapted in throw-away overlays: the model's store is never written.
/// </summary>
public static class ActiveLearningExperiment
{
    /// <summary>Runs the experiment.</summary>
    /// <param name="model">A model offering <see cref="IActiveQuestionSelector"/> and <see cref="IUserStateStoreAccessor"/>.</param>
    /// <param name="data">Labelled records, typically of users the model has not seen, each user's in record order.</param>
    /// <param name="options">Pool, budget and random repeats; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the experiment.</param>
    /// <returns>The curve.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or no user has a record after the pool.</exception>
    /// <exception cref="CapabilityNotSupportedException">The model cannot rank questions or does not expose its state store.</exception>
    public static async Task<ActiveLearningCurve> RunAsync(
        IUserRewardModel model, PreferenceDataset data, ActiveLearningOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options ??= ActiveLearningOptions.Default;
        Validate(options);
        model.GetRequiredService<IActiveQuestionSelector>();

        var byUser = data.RecordsByUser();
        var eligible = Enumerable.Range(0, byUser.Count).Where(u => byUser[u].Length > options.PoolSize).ToArray();
        if (eligible.Length == 0)
        {
            throw new ArgumentException($"no user has a record after the first {options.PoolSize} (the candidate pool)", nameof(data));
        }

        var pools = eligible.Select(u => byUser[u][..options.PoolSize]).ToArray();
        var queries = eligible.SelectMany(u => byUser[u][options.PoolSize..]).Order().ToArray();
        var queryData = data.Select(queries);
        var users = eligible.Select(u => data.Users[u]).ToArray();

        var coldStart = await ColdStartAccuracyAsync(model, users, queryData, cancellationToken).ConfigureAwait(false);
        var active = await ActiveAccuracyAsync(model, data, users, pools, queryData, options.Budget, cancellationToken).ConfigureAwait(false);
        var random = new double[options.Budget];
        for (var repeat = 0; repeat < options.RandomRepeats; repeat++)
        {
            var shuffle = new Random(options.Seed + repeat);
            var orders = pools.Select(pool =>
            {
                var order = pool.ToArray();
                shuffle.Shuffle(order);
                return order;
            }).ToArray();
            var accuracy = await OrderedAccuracyAsync(model, data, users, orders, queryData, options.Budget, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < options.Budget; k++)
            {
                random[k] += accuracy[k] / options.RandomRepeats;
            }
        }

        var points = new List<ActiveLearningPoint>(options.Budget + 1) { new(0, coldStart, coldStart) };
        points.AddRange(Enumerable.Range(0, options.Budget).Select(k => new ActiveLearningPoint(k + 1, active[k], random[k])));
        return new ActiveLearningCurve
        {
            Points = points,
            Users = eligible.Length,
            SkippedUsers = byUser.Count - eligible.Length,
            QueryRecords = queries,
        };
    }

    private static void Validate(ActiveLearningOptions options)
    {
        if (options.PoolSize < 1 || options.Budget < 1 || options.Budget > options.PoolSize)
        {
            throw new ArgumentException($"need 1 <= budget <= pool size (got budget {options.Budget}, pool {options.PoolSize})", nameof(options));
        }

        if (options.RandomRepeats < 1)
        {
            throw new ArgumentException($"random repeats must be >= 1 (got {options.RandomRepeats})", nameof(options));
        }
    }

    /// <summary>Per round k (1..budget), the accuracy after each user answered the questions the model chose.</summary>
    private static async Task<double[]> ActiveAccuracyAsync(
        IUserRewardModel model, PreferenceDataset data, UserId[] users, int[][] pools, PreferenceDataset queryData, int budget, CancellationToken cancellationToken)
    {
        using var scratch = await FreshScratchAsync(model, users, cancellationToken).ConfigureAwait(false);
        var selector = scratch.Model.GetRequiredService<IActiveQuestionSelector>();
        var remaining = pools.Select(p => p.ToList()).ToArray();
        var asked = users.Select(_ => new List<int>()).ToArray();
        var accuracy = new double[budget];
        for (var k = 0; k < budget; k++)
        {
            for (var u = 0; u < users.Length; u++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var candidates = remaining[u];
                var ranking = await selector.RankQuestionsAsync(users[u], data.Select(candidates.ToArray()), cancellationToken).ConfigureAwait(false);
                asked[u].Add(candidates[ranking.Best]);
                candidates.RemoveAt(ranking.Best);
            }

            accuracy[k] = await AdaptAndScoreAsync(scratch.Model, data, asked, queryData, cancellationToken).ConfigureAwait(false);
        }

        return accuracy;
    }

    /// <summary>Per round k (1..budget), the accuracy after each user answered the first k questions of a fixed order.</summary>
    private static async Task<double[]> OrderedAccuracyAsync(
        IUserRewardModel model, PreferenceDataset data, UserId[] users, int[][] orders, PreferenceDataset queryData, int budget, CancellationToken cancellationToken)
    {
        using var scratch = await FreshScratchAsync(model, users, cancellationToken).ConfigureAwait(false);
        var accuracy = new double[budget];
        for (var k = 0; k < budget; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var asked = orders.Select(order => order[..(k + 1)]).ToArray();
            accuracy[k] = await AdaptAndScoreAsync(scratch.Model, data, asked, queryData, cancellationToken).ConfigureAwait(false);
        }

        return accuracy;
    }

    private static async Task<double> ColdStartAccuracyAsync(IUserRewardModel model, UserId[] users, PreferenceDataset queryData, CancellationToken cancellationToken)
    {
        using var scratch = await FreshScratchAsync(model, users, cancellationToken).ConfigureAwait(false);
        var predictions = await scratch.Model.ScorePairsAsync(queryData, new ScoringOptions { AllowColdStart = true }, cancellationToken).ConfigureAwait(false);
        return PreferenceMetrics.Compute(queryData, predictions).MeanUserAccuracy;
    }

    /// <summary>Infers every user from exactly the answers given so far (replacing earlier states), then scores the queries.</summary>
    private static async Task<double> AdaptAndScoreAsync(
        IUserRewardModel scratch, PreferenceDataset data, IReadOnlyList<IReadOnlyList<int>> asked, PreferenceDataset queryData, CancellationToken cancellationToken)
    {
        var context = asked.SelectMany(a => a).Order().ToArray();
        await scratch.AdaptAsync(data.Select(context), new AdaptationOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
        var predictions = await scratch.ScorePairsAsync(queryData, ScoringOptions.Default, cancellationToken).ConfigureAwait(false);
        return PreferenceMetrics.Compute(queryData, predictions).MeanUserAccuracy;
    }

    /// <summary>A scratch view in which the measured users have no state, whatever the model's store holds.</summary>
    private static async Task<ScratchUserStates> FreshScratchAsync(IUserRewardModel model, UserId[] users, CancellationToken cancellationToken)
    {
        var scratch = ScratchUserStates.Create(model);
        try
        {
            foreach (var user in users)
            {
                await scratch.Store.DeleteAsync(user, cancellationToken).ConfigureAwait(false);
            }

            return scratch;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }
}
