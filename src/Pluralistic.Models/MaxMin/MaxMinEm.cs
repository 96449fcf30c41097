using Pluralistic.Torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// Expectation-maximisation over K Bradley-Terry heads. Start from an assignment of users to heads; then repeat: the
/// M-step retrains every head on its users' pairs (one run of the shared training loop for all heads, weighted by
/// responsibility, warm-started from the previous iteration), the E-step re-assigns every user from the summed
/// log-likelihood of their pairs under each head. A stage stops at its iteration budget, when the log-likelihood per
/// pair changes by less than <see cref="MaxMinOptions.Tolerance"/>, or when a hard E-step moves nobody.
/// </summary>
/// <remarks>
/// <para>With <see cref="MaxMinOptions.CrossFitEStep"/> (the default) the users are split in two folds and two sets
/// of heads are trained, one per fold; the E-step scores each fold's users with the heads trained on the other fold,
/// so a user's likelihood under a head is measured by a head that never learned from that user. Heads that learned
/// their own users (their pairs, and with cosine-0.7 users their personal tastes) otherwise make every assignment
/// look right and EM stays where it started; splitting each user's pairs instead of the users removed the first
/// effect but not the second. The final heads are then trained afresh on all
/// training pairs with the final assignment (warm-starting them from a half's heads stopped early at once and left
/// small groups' heads with half their data).</para>
/// <para>With <see cref="MaxMinInitialization.Split"/> heads are added one at a time: after EM with the heads so far,
/// the users worst explained by them (the lower cluster of a 1-D 2-means over each user's best log-likelihood per
/// pair) seed the next head, and EM continues. A group without a head of its own is exactly the group whose users
/// fit worst, so each split goes where a head is missing. Intermediate stages run at most
/// <see cref="MaxMinOptions.SplitIterations"/> iterations; the last stage runs up to <see cref="MaxMinOptions.MaxIterations"/>.</para>
/// </remarks>
internal static class MaxMinEm
{
    /// <summary>Runs EM on a session's training rows.</summary>
    /// <param name="session">The session (its options are <paramref name="options"/>).</param>
    /// <param name="options">The options; <see cref="MaxMinOptions.Groups"/> is K (not automatic).</param>
    /// <param name="progress">Progress of every M-step.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained heads (owned by the caller) and what EM did.</returns>
    public static EmResult Run(TrainingSession session, MaxMinOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var k = options.Groups;
        var users = data.Users.Count;
        if (k > users)
        {
            throw new ArgumentException($"MaxMin cannot form {k} groups from {users} users; use fewer groups", nameof(options));
        }

        var split = options.Initialization == MaxMinInitialization.Split && k > 1;
        var pairsPerUser = new int[users];
        var userIndex = data.UserIndices.Span;
        foreach (var i in session.TrainRecords)
        {
            pairsPerUser[userIndex[i]]++;
        }

        var state = split
            ? new EmState(new int[users], k, active: 1, pairsPerUser)
            : new EmState(GroupInitialization.Assign(data, session.TrainRecords, k, options.Initialization, session.Seed), k, active: k, pairsPerUser);

        // Every network is built by the session, which disposes them if anything below fails.
        var network = NewNetwork(session, options, k, salt: 0);
        TrainingReport report;
        if (options.CrossFitEStep && k > 1)
        {
            var (first, second, fold) = Folds(session);
            using var firstRows = new PairTensors(data, first, session.Device);
            using var secondRows = new PairTensors(data, second, session.Device);
            using var firstHeads = NewNetwork(session, options, k, salt: 1);
            using var secondHeads = NewNetwork(session, options, k, salt: 2);
            RunStages(state, options, split, iteration =>
            {
                MStep(firstHeads, firstRows, session, options, state, $"em {iteration} (k={state.Active}/{k}, first fold)", iteration * 2, progress, cancellationToken);
                MStep(secondHeads, secondRows, session, options, state, $"em {iteration} (k={state.Active}/{k}, second fold)", (iteration * 2) + 1, progress, cancellationToken);

                // Each fold's users by the other fold's heads; a head with no users in the other fold learned nothing and is left out.
                var logLikelihoods = MaxMinMath.UserLogLikelihoods(secondHeads, firstRows, users);
                var other = MaxMinMath.UserLogLikelihoods(firstHeads, secondRows, users);
                var used = new bool[2, k];
                for (var u = 0; u < users; u++)
                {
                    for (var g = 0; g < k; g++)
                    {
                        used[fold[u], g] |= state.Responsibilities[(u * k) + g] > 0;
                    }
                }

                for (var i = 0; i < logLikelihoods.Length; i++)
                {
                    var (u, g) = (i / k, i % k);
                    var scored = fold[u] == 0 ? logLikelihoods[i] : other[i];
                    logLikelihoods[i] = used[1 - fold[u], g] ? scored : double.NegativeInfinity;
                }

                return logLikelihoods;
            });

            report = MStep(network, session.Train, session, options, state, $"final heads (k={k})", 1, progress, cancellationToken);
        }
        else
        {
            TrainingReport? last = null;
            RunStages(state, options, split, iteration =>
            {
                last = MStep(network, session.Train, session, options, state, $"em {iteration} (k={state.Active}/{k})", iteration, progress, cancellationToken);
                return MaxMinMath.UserLogLikelihoods(network, session.Train, users);
            });
            report = last!;
        }

        return new EmResult(network, state.LogPrior, state.History, state.Moved, report, state.Converged);
    }

    /// <summary>EM stages: one for a fixed initial assignment; one per head for splitting.</summary>
    /// <param name="state">The assignment and history.</param>
    /// <param name="options">The options.</param>
    /// <param name="split">Whether heads are added by splitting.</param>
    /// <param name="iterate">One M-step for iteration i (1-based, over all stages), returning the users' log-likelihoods [users, K].</param>
    private static void RunStages(EmState state, MaxMinOptions options, bool split, Func<int, double[]> iterate)
    {
        while (true)
        {
            var budget = state.Active < state.Groups ? options.SplitIterations : options.MaxIterations;
            for (var i = 0; i < budget && !state.Converged; i++)
            {
                state.EStep(iterate(state.Iterations + 1), options);
            }

            if (!split || state.Active == state.Groups)
            {
                return;
            }

            state.AddHead();
        }
    }

    private static MaxMinNetwork NewNetwork(TrainingSession session, MaxMinOptions options, int k, int salt)
    {
        // Each network seeded on its own (salted so the cross-fit folds' heads start apart), under the runtime's seed
        // lock: the process-wide generator is shared with models training concurrently.
        return session.CreateModule(() => new MaxMinNetwork(session.Data.ResponseDimension, session.Data.PromptDimension, k, options), unchecked((session.Seed * 31) + salt));
    }

    private static TrainingReport MStep(
        MaxMinNetwork network, PairTensors rows, TrainingSession session, MaxMinOptions options, EmState state, string phase, int run,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        using var objective = new MaxMinObjective(network, rows, session.Validation, options, state.Responsibilities);
        return TrainingLoop.Run(objective, options with { Seed = session.Seed + run }, phase, progress, cancellationToken);
    }

    /// <summary>The users split at random into two folds: each fold's training records (in a seeded random order) and each user's fold.</summary>
    private static (int[] First, int[] Second, int[] Fold) Folds(TrainingSession session)
    {
        var random = new Random(session.Seed ^ 0x4a1f);
        var train = new HashSet<int>(session.TrainRecords);
        var byUser = session.Data.RecordsByUser();
        var order = Enumerable.Range(0, byUser.Count).ToArray();
        random.Shuffle(order);
        var fold = new int[byUser.Count];
        var records = new[] { new List<int>(), new List<int>() };
        for (var j = 0; j < order.Length; j++)
        {
            fold[order[j]] = j % 2;
            records[j % 2].AddRange(byUser[order[j]].Where(train.Contains));
        }

        var first = records[0].ToArray();
        var second = records[1].ToArray();
        random.Shuffle(first);
        random.Shuffle(second);
        return (first, second, fold);
    }

    /// <summary>The assignment, responsibilities and prior between iterations, the E-step and splitting.</summary>
    private sealed class EmState
    {
        private readonly int[] _pairsPerUser;
        private readonly int _pairs;
        private int[] _assignment;
        private double[]? _lastLogLikelihoods;

        public EmState(int[] assignment, int groups, int active, int[] pairsPerUser)
        {
            _assignment = assignment;
            _pairsPerUser = pairsPerUser;
            _pairs = Math.Max(pairsPerUser.Sum(), 1);
            Groups = groups;
            Active = active;
            Responsibilities = MaxMinMath.OneHot(assignment, groups);
            LogPrior = MaxMinMath.LogPrior(MaxMinMath.Shares(Responsibilities, groups));
        }

        public int Groups { get; }

        public int Users => _assignment.Length;

        /// <summary>Heads in use: 0..Active-1 (the others wait for a split and take no users).</summary>
        public int Active { get; private set; }

        public double[] Responsibilities { get; private set; }

        public double[] LogPrior { get; private set; }

        public List<double> History { get; } = [];

        public List<int> Moved { get; } = [];

        public bool Converged { get; private set; }

        public int Iterations => History.Count;

        /// <summary>Re-assigns users from their per-head log-likelihoods [users, K] (heads not yet in use are ignored).</summary>
        public void EStep(double[] logLikelihoods, MaxMinOptions options)
        {
            var k = Groups;
            for (var i = 0; i < logLikelihoods.Length; i++)
            {
                if (i % k >= Active)
                {
                    logLikelihoods[i] = double.NegativeInfinity;
                }
            }

            _lastLogLikelihoods = logLikelihoods;
            double total;
            int[] next;
            if (options.EStep == MaxMinEStep.Hard)
            {
                // The reference's E-step: argmax of the summed log-likelihood (no prior); the classification likelihood.
                next = MaxMinMath.ArgMax(logLikelihoods, k);
                total = next.Select((g, u) => logLikelihoods[(u * k) + g]).Sum();
                Responsibilities = MaxMinMath.OneHot(next, k);
            }
            else if (options.EStep == MaxMinEStep.HardMap)
            {
                var logPrior = LogPrior;
                var joint = logLikelihoods.Select((l, i) => l + logPrior[i % k]).ToArray();
                next = MaxMinMath.ArgMax(joint, k);
                total = next.Select((g, u) => joint[(u * k) + g]).Sum();
                Responsibilities = MaxMinMath.OneHot(next, k);
            }
            else
            {
                total = MaxMinMath.LogSumExp(logLikelihoods, LogPrior, k).Sum();
                Responsibilities = MaxMinMath.Posterior(logLikelihoods, LogPrior);
                next = MaxMinMath.ArgMax(Responsibilities, k);
            }

            Moved.Add(next.Where((g, u) => g != _assignment[u]).Count());
            _assignment = next;
            LogPrior = MaxMinMath.LogPrior(MaxMinMath.Shares(Responsibilities, k));
            History.Add(total / _pairs);
            Converged = options.EStep != MaxMinEStep.Soft
                ? Moved[^1] == 0
                : History.Count > 1 && Math.Abs(History[^1] - History[^2]) < options.Tolerance;
        }

        /// <summary>
        /// Seeds head <see cref="Active"/> with the users worst explained by the heads in use: the lower cluster of a
        /// 1-D 2-means over each user's best log-likelihood per pair).
        /// </summary>
        public void AddHead()
        {
            var k = Groups;
            var best = Enumerable.Range(0, Users)
                .Select(u => Enumerable.Range(0, Active).Max(g => _lastLogLikelihoods![(u * k) + g]) / Math.Max(_pairsPerUser[u], 1))
                .ToArray();
            var seeds = LowerCluster(best);
            foreach (var u in seeds)
            {
                _assignment[u] = Active;
            }

            Active++;
            Responsibilities = MaxMinMath.OneHot(_assignment, k);
            LogPrior = MaxMinMath.LogPrior(MaxMinMath.Shares(Responsibilities, k));
            Converged = false;
        }

        /// <summary>The indices of the lower of two clusters of values (exact 1-D 2-means: the split of the sorted values with the least squared error).</summary>
        private static int[] LowerCluster(double[] values)
        {
            var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
            var sorted = order.Select(i => values[i]).ToArray();
            var n = sorted.Length;
            var prefix = new double[n + 1];
            var prefixSquares = new double[n + 1];
            for (var i = 0; i < n; i++)
            {
                prefix[i + 1] = prefix[i] + sorted[i];
                prefixSquares[i + 1] = prefixSquares[i] + (sorted[i] * sorted[i]);
            }

            double Error(int from, int to) => prefixSquares[to] - prefixSquares[from] - (Math.Pow(prefix[to] - prefix[from], 2) / (to - from));
            var bestSplit = 1;
            var bestError = double.PositiveInfinity;
            for (var split = 1; split < n; split++)
            {
                var error = Error(0, split) + Error(split, n);
                if (error < bestError)
                {
                    bestError = error;
                    bestSplit = split;
                }
            }

            return order[..bestSplit];
        }
    }
}

/// <summary>What EM produced.</summary>
/// <param name="Network">The trained heads (the caller owns them).</param>
/// <param name="LogPrior">The log of the groups' shares after the last E-step.</param>
/// <param name="LogLikelihoodPerPair">Per iteration, the training log-likelihood per pair after its E-step.</param>
/// <param name="UsersMoved">Per iteration, how many users changed their most likely head.</param>
/// <param name="LastReport">The training loop's report of the last M-step.</param>
/// <param name="Converged">Whether the last stage stopped before its iteration limit.</param>
internal sealed record EmResult(
    MaxMinNetwork Network, double[] LogPrior, IReadOnlyList<double> LogLikelihoodPerPair, IReadOnlyList<int> UsersMoved, TrainingReport LastReport, bool Converged)
{
    public int Iterations => LogLikelihoodPerPair.Count;
}
