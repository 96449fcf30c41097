using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Fits the anchor's form and kappa on what a user will be asked in use: pairs over responses the user's state has not
/// seen. Responses are identified by their vectors (the same vector is the same item). Two sets: the validation pairs
/// of the seen users whose responses appear in none of that user's training pairs, scored with the user's trained
/// state (n = the user's pairs, capped at <see cref="SeenPairsCap"/>); and, for a sample of the users as if they were
/// new, states inferred from only their first k training pairs (n = k, for k in 1, 2, 5, 10, 20), scored on all their
/// other pairs over responses those k pairs do not show (the population parameters were trained on those pairs too,
/// but the user's state sees only the k pairs, as a new user's would). Trained and inferred states are different
/// estimators, so each gets its own weight: kappa for inferred states, a fixed weight in [0, 1] for the seen users'
/// trained states, each chosen by the one-standard-error rule (the candidate closest to the population whose
/// log-loss is within a standard error of the best), so a deviation is kept only where it clearly pays; the form
/// whose two fits have the lowest log-loss together wins. New users then get a kappa of their own, with the same form
/// and slope, judged as a new user is met: cross-fitted, each fold of the users (Folds) scored by the method and
/// anchor trained again on the other folds (in-sample, the few-shot states come from a network that learned those
/// users' pairs, which is what a seen user's state is, not a new user's).
/// </summary>
internal static class AnchorFit
{
    /// <summary>The kappas tried: 0, powers of two from 1/2 to 4096, and infinity.</summary>
    private static readonly double[] Kappas =
        [double.PositiveInfinity, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1, 0.5, 0];

    private static readonly int[] ContextSizes = [1, 2, 5, 10, 20];

    /// <summary>
    /// The weights tried for the seen users' trained states: first none of their own (<see langword="null"/>: the
    /// weight kappa gives their pairs, fitted on thousands of few-shot pairs), then 0 to 1 in steps of 0.1. Seen users'
    /// held-out pairs are often few (about 100 in a small population), and the one-standard-error rule then keeps the
    /// first candidate: the weight the few-shot fit implies, unless the seen users' own pairs clearly say otherwise.
    /// </summary>
    private static readonly double?[] SeenCandidates = [null, .. Enumerable.Range(0, 11).Select(i => i / 10.0)];

    /// <summary>
    /// The surprise slopes tried (<see cref="PopulationAnchorInfo.SurpriseSlope"/>), 0 first: a user whose pairs the
    /// population explains one nat worse in total moves their weight's logit by the slope.
    /// </summary>
    private static readonly double[] SurpriseSlopes = [0, 0.125, 0.25, 0.5, 1, 2];

    private const int FewShotUsers = 256;

    /// <summary>
    /// The folds of users new users' kappa is cross-fitted over: four, so each fold model learns from three quarters of
    /// the users (with two, models trained on half the users read PAL's mixture weights worse than the final model, and
    /// the weight they fitted sent the mixture preset's new users back to the population).
    /// </summary>
    public const int Folds = 4;

    // Below this many users a fold model would learn from too few to stand for the model (new users' kappa stays in-sample).
    private const int MinimumCrossFitUsers = 20;

    // Users whose states are inferred in one call (bounds the evidence held at once; the few-shot sample is no larger).
    private const int StateInferenceUsers = 256;

    /// <summary>Fits the anchor; without held-out pairs the method keeps its own reward for any user with pairs.</summary>
    /// <param name="anchored">The method's hooks with the anchor.</param>
    /// <param name="session">The training session (data and its validation split).</param>
    /// <param name="evidenceCapacity">The most pairs a user's state is inferred from after training.</param>
    /// <param name="trainedSeenStates">
    /// The seen users' stored states (in user order) when training learned them from the session's training pairs alone
    /// (PAL's jointly trained mixture logits): they are judged as they are. <see langword="null"/> when the stored
    /// states are read from all of a user's pairs after training: then they are read again from the training pairs.
    /// </param>
    /// <param name="trainFold">
    /// Trains the same method, anchored and without cross-fitting, on the pairs of a subset of the users (the fold's
    /// number given, for progress), so new users' kappa is judged on users neither reward learned from;
    /// <see langword="null"/> keeps it in-sample (the seen users' kappa).
    /// </param>
    /// <param name="cancellationToken">Cancels the fit.</param>
    /// <returns>The fitted anchor and what the fit saw (log-losses), for the manifest's metrics.</returns>
    public static (PopulationAnchorInfo Info, Dictionary<string, double> Metrics) Fit(
        AnchoredMethod anchored,
        TrainingSession session,
        int evidenceCapacity,
        IReadOnlyList<float[]>? trainedSeenStates,
        Func<PreferenceDataset, int, TorchUserRewardModel>? trainFold,
        CancellationToken cancellationToken)
    {
        var info = anchored.Info;
        var seen = new Cases();
        var fewShot = new Cases();
        var data = session.Data;
        var byUser = data.RecordsByUser();
        // The method's validation pairs, or those held out for the anchor's fit when the method validates on none.
        var validation = session.ValidationRecords.Concat(session.AnchorValidationRecords).ToHashSet();
        var users = Enumerable.Range(0, byUser.Count).Where(u => byUser[u].Length > 1).ToArray();
        if (users.Length == 0)
        {
            return (info with { Form = PopulationAnchorForm.Blend, Kappa = 0 }, new Dictionary<string, double>(StringComparer.Ordinal));
        }

        // Seen users, on validation pairs over responses none of their training pairs show.
        var items = ItemKeys.Of(data);
        var training = session.TrainRecords.ToHashSet();
        var heldRecords = users.SelectMany(u => Unseen(byUser[u].Where(validation.Contains), byUser[u].Where(training.Contains), items)).ToArray();
        var userOfRecord = new Dictionary<int, int>();
        foreach (var u in users)
        {
            foreach (var r in byUser[u])
            {
                userOfRecord[r] = u;
            }
        }

        // Their states as learned from their training pairs alone: the trained states as they are when training
        // learned them from those pairs only; otherwise inferred again from the most recent training pairs (as many as
        // a state retains), since states read from all of a user's pairs would have seen the very pairs judged here.
        var cap = SeenPairsCap(evidenceCapacity);
        var heldUsers = heldRecords.Select(r => userOfRecord[r]).Distinct().Order().ToArray();
        var evidenceOf = heldUsers.ToDictionary(u => u, u => byUser[u].Where(training.Contains).TakeLast(cap).ToArray());
        var stateOfUser = trainedSeenStates is not null
            ? heldUsers.Where(u => evidenceOf[u].Length > 0).ToDictionary(u => u, u => trainedSeenStates[u])
            : InferByUser(anchored, data, [.. heldUsers.Where(u => evidenceOf[u].Length > 0)], u => evidenceOf[u], cancellationToken);

        heldRecords = heldRecords.Where(r => stateOfUser.ContainsKey(userOfRecord[r])).ToArray();
        var seenLoss = stateOfUser.Keys.ToDictionary(u => u, u => anchored.PopulationLoss(data, evidenceOf[u]));
        Score(anchored, data, heldRecords, r => stateOfUser[userOfRecord[r]], r => (evidenceOf[userOfRecord[r]].Length, seenLoss[userOfRecord[r]]), seen, session.Device, cancellationToken);
        var (evidenceLoss, evidencePairs) = (seenLoss.Values.Sum(), seenLoss.Keys.Sum(u => evidenceOf[u].Length));

        // A sample of them as if they were new: states inferred from their first k training pairs.
        var sample = users.ToArray();
        new Random(session.Seed ^ 0x4a4c).Shuffle(sample);
        sample = sample[..Math.Min(sample.Length, FewShotUsers)];
        foreach (var k in ContextSizes.Where(k => k <= Math.Max(evidenceCapacity, 1)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var eligible = sample.Where(u => byUser[u].Count(training.Contains) > k).ToArray();
            if (eligible.Length == 0)
            {
                continue;
            }

            var contexts = eligible.Select(u => byUser[u].Where(training.Contains).Take(k).ToArray()).ToArray();
            var contextOf = eligible.Select((u, i) => (u, i)).ToDictionary(p => p.u, p => contexts[p.i]);
            var stateOf = InferByUser(anchored, data, eligible, u => contextOf[u], cancellationToken);
            var lossOf = eligible.ToDictionary(u => u, u => anchored.PopulationLoss(data, contextOf[u]));
            var records = eligible.SelectMany((u, i) => Unseen(byUser[u].Except(contexts[i]), contexts[i], items)).ToArray();
            Score(anchored, data, records, r => stateOf[userOfRecord[r]], r => (k, lossOf[userOfRecord[r]]), fewShot, session.Device, cancellationToken);
            evidenceLoss += lossOf.Values.Sum();
            evidencePairs += k * eligible.Length;
        }

        // The population's usual loss per pair on what users said, from which each user's surprise is counted.
        var centre = evidencePairs == 0 ? 0 : evidenceLoss / evidencePairs;

        // Per form and surprise slope: the kappa that fits the inferred states best and the weight that fits the
        // trained states best (each by the one-standard-error rule); the form and slope with the lowest loss together
        // win, a slope only when it lowers the loss (0 comes first).
        var best = (Info: info with { Form = PopulationAnchorForm.Deviation, Kappa = double.PositiveInfinity, SeenWeight = null, SurpriseCentre = centre }, Loss: double.PositiveInfinity);
        foreach (var form in new[] { PopulationAnchorForm.Deviation, PopulationAnchorForm.Blend })
        {
            foreach (var slope in SurpriseSlopes)
            {
                var shaped = info with { Form = form, SurpriseSlope = slope, SurpriseCentre = centre };
                var kappa = Kappas[fewShot.OneStandardError(Kappas.Select(k => (Func<int, double, double>)((n, l) => (shaped with { Kappa = k }).Weight(n, l))).ToArray(), form)];
                shaped = shaped with { Kappa = kappa };
                double? seenWeight = seen.Count == 0 ? null : SeenCandidates[seen.OneStandardError(SeenCandidates.Select(w => (Func<int, double, double>)((n, l) => (shaped with { SeenWeight = w }).SeenUserWeight(n, l))).ToArray(), form)];
                shaped = shaped with { SeenWeight = seenWeight };
                // The seen users' loss counts whichever weight they got, none of their own included (left out, that
                // choice won the comparison whatever it cost them: PAL's seen users on MovieLens text fell 1.6 points).
                var loss = (fewShot.Loss(form, shaped.Weight) * fewShot.Count) + (seen.Loss(form, shaped.SeenUserWeight) * seen.Count);
                if (loss < best.Loss - 1e-9)
                {
                    best = (shaped, loss);
                }
            }
        }

        // New users: the same form and slope, kappa judged on users the rewards never learned from (cross-fitted). The
        // in-sample kappa stays the seen users' (their states, like the in-sample few-shot ones, come from a network
        // that learned their pairs); a new user's comes from one that did not, and in-sample it looks better than it is
        // (on MovieLens with 20 pairs per user, PAL's new users fell 8 points below BT with the in-sample kappa).
        var newUsers = trainFold is null ? null : NewUserCases(anchored, session, byUser, users, items, evidenceCapacity, trainFold, cancellationToken);
        if (newUsers is { Count: > 0 })
        {
            var shaped = best.Info;
            var kappa = Kappas[newUsers.OneStandardError(Kappas.Select(k => (Func<int, double, double>)((n, l) => (shaped with { Kappa = k }).Weight(n, l))).ToArray(), shaped.Form)];
            best = (shaped with { Kappa = kappa, SeenKappa = shaped.Kappa }, best.Loss);
        }

        var total = Math.Max(1, seen.Count + fewShot.Count);
        static double Population(int pairs, double loss) => 0;
        static double MethodAlone(int pairs, double loss) => 1;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["anchor_kappa"] = best.Info.Kappa,
            ["anchor_seen_kappa"] = best.Info.SeenKappa ?? best.Info.Kappa,
            ["anchor_fit_new_user_pairs"] = newUsers?.Count ?? 0,
            ["anchor_fit_new_user_accuracy_population"] = newUsers?.Accuracy(PopulationAnchorForm.Deviation, Population) ?? double.NaN,
            ["anchor_fit_new_user_accuracy_method"] = newUsers?.Accuracy(PopulationAnchorForm.Blend, MethodAlone) ?? double.NaN,
            ["anchor_seen_weight"] = best.Info.SeenWeight ?? double.NaN,
            ["anchor_surprise_slope"] = best.Info.SurpriseSlope,
            ["anchor_surprise_centre"] = Math.Round(centre, 6),
            ["anchor_fit_seen_pairs"] = seen.Count,
            ["anchor_fit_few_shot_pairs"] = fewShot.Count,
            ["anchor_fit_loss"] = Math.Round(best.Loss / total, 6),
            ["anchor_fit_seen_accuracy_population"] = seen.Accuracy(PopulationAnchorForm.Deviation, Population),
            ["anchor_fit_seen_accuracy_method"] = seen.Accuracy(PopulationAnchorForm.Blend, MethodAlone),
            ["anchor_fit_few_shot_accuracy_population"] = fewShot.Accuracy(PopulationAnchorForm.Deviation, Population),
            ["anchor_fit_few_shot_accuracy_method"] = fewShot.Accuracy(PopulationAnchorForm.Blend, MethodAlone),
            ["anchor_fit_loss_population"] = Math.Round(((seen.Loss(PopulationAnchorForm.Deviation, Population) * seen.Count) + (fewShot.Loss(PopulationAnchorForm.Deviation, Population) * fewShot.Count)) / total, 6),
            ["anchor_fit_loss_method"] = Math.Round(((seen.Loss(PopulationAnchorForm.Blend, MethodAlone) * seen.Count) + (fewShot.Loss(PopulationAnchorForm.Blend, MethodAlone) * fewShot.Count)) / total, 6),
        };

        // A figure the fit had nothing to measure on (no new users' cases, no seen weight of their own) is left out, not
        // written as NaN: a manifest's metrics are figures a reader can use.
        foreach (var name in metrics.Where(m => double.IsNaN(m.Value)).Select(m => m.Key).ToList())
        {
            metrics.Remove(name);
        }

        return (best.Info, metrics);
    }


    /// <summary>
    /// New users' few-shot cases, cross-fitted: the users in <see cref="Folds"/> folds, each fold judged by the method and
    /// anchor trained again on the other folds' users (states inferred from a user's first k pairs, scored on their pairs
    /// over responses those k do not show). <see langword="null"/> below <see cref="MinimumCrossFitUsers"/> users, where a
    /// fold model would learn from too few to stand for the model.
    /// </summary>
    private static Cases? NewUserCases(
        AnchoredMethod anchored,
        TrainingSession session,
        IReadOnlyList<int[]> byUser,
        int[] users,
        (ulong Chosen, ulong Rejected)[] items,
        int evidenceCapacity,
        Func<PreferenceDataset, int, TorchUserRewardModel> trainFold,
        CancellationToken cancellationToken)
    {
        if (users.Length < MinimumCrossFitUsers)
        {
            return null;
        }

        var data = session.Data;
        var order = users.ToArray();
        new Random(session.Seed ^ 0x4a4d).Shuffle(order);
        var userOfRecord = users.SelectMany(u => byUser[u].Select(r => (r, u))).ToDictionary(p => p.r, p => p.u);
        var cases = new Cases();
        for (var f = 0; f < Folds; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var held = order.Where((_, i) => i % Folds == f).ToArray();
            var heldSet = held.ToHashSet();
            var others = users.Where(u => !heldSet.Contains(u)).SelectMany(u => byUser[u]).Order().ToArray();
            using var fold = trainFold(data.Select(others), f);
            var hooks = fold.Anchored ?? throw new InvalidOperationException($"{fold.Info.Kind}: a fold model of the anchor fit is not anchored");
            var judged = held[..Math.Min(held.Length, FewShotUsers / Folds)];
            foreach (var k in ContextSizes.Where(k => k <= Math.Max(evidenceCapacity, 1)))
            {
                var eligible = judged.Where(u => byUser[u].Length > k).ToArray();
                if (eligible.Length == 0)
                {
                    continue;
                }

                var contextOf = eligible.ToDictionary(u => u, u => byUser[u][..k]);
                var stateOf = InferByUser(hooks, data, eligible, u => contextOf[u], cancellationToken);
                var lossOf = eligible.ToDictionary(u => u, u => hooks.PopulationLoss(data, contextOf[u]));
                var records = eligible.SelectMany(u => Unseen(byUser[u][k..], contextOf[u], items)).ToArray();
                Score(hooks, data, records, r => stateOf[userOfRecord[r]], r => (k, lossOf[userOfRecord[r]]), cases, session.Device, cancellationToken);
            }
        }

        return cases;
    }

    /// <summary>
    /// The pairs a seen user's weight counts: its pairs, at most the evidence capacity (and at least the largest context
    /// the fit measures), so a trained state weighs no more than the fit has seen states weigh.
    /// </summary>
    /// <param name="evidenceCapacity">The model's evidence capacity.</param>
    /// <returns>The cap.</returns>
    public static int SeenPairsCap(int evidenceCapacity) => Math.Max(evidenceCapacity, ContextSizes[^1]);

    // The method's states of the given users, each inferred from its own records, a bounded number of users per call.
    private static Dictionary<int, float[]> InferByUser(
        AnchoredMethod anchored, PreferenceDataset data, int[] users, Func<int, int[]> evidenceOf, CancellationToken cancellationToken)
    {
        var states = new Dictionary<int, float[]>();
        foreach (var chunk in users.Chunk(StateInferenceUsers))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (NewDisposeScope())
            {
                var inferred = anchored.Method.InferStates(chunk.Select(u => data.Select(evidenceOf(u))).ToList(), cancellationToken);
                for (var i = 0; i < chunk.Length; i++)
                {
                    states[chunk[i]] = inferred[i];
                }
            }
        }

        return states;
    }

    // The held-out records whose two responses appear in none of the given records.
    private static IEnumerable<int> Unseen(IEnumerable<int> heldOut, IEnumerable<int> seen, (ulong Chosen, ulong Rejected)[] items)
    {
        var shown = seen.SelectMany(r => new[] { items[r].Chosen, items[r].Rejected }).ToHashSet();
        return heldOut.Where(r => !shown.Contains(items[r].Chosen) && !shown.Contains(items[r].Rejected));
    }

    // Scores records with per-record states: the population margin, the method's margin and its cold-start margin, with
    // what the state was read from (its pairs and the population's summed log-loss on them).
    private static void Score(
        AnchoredMethod anchored, PreferenceDataset data, int[] records, Func<int, float[]> stateOf, Func<int, (int Pairs, double Loss)> evidenceOf, Cases cases, Device device, CancellationToken cancellationToken)
    {
        var size = anchored.Method.StateSize;
        var userOf = data.RecordsByUser().SelectMany((records, u) => records.Select(r => (r, u))).ToDictionary(p => p.r, p => p.u);
        for (var start = 0; start < records.Length; start += ChunkedScorer.ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = records.AsSpan(start, Math.Min(ChunkedScorer.ChunkRows, records.Length - start)).ToArray();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var pairs = new PairTensors(data, chunk, device);
            var states = tensor(chunk.SelectMany(stateOf).ToArray(), [chunk.Length, size], ScalarType.Float32, device);
            var cold = anchored.ColdTensor(device, chunk.Length);
            var population = Margin(anchored.Anchor.call(pairs.Chosen, pairs.Prompts), anchored.Anchor.call(pairs.Rejected, pairs.Prompts));
            var own = Margin(anchored.Method.ScoreRows(pairs.Chosen, pairs.Prompts, states), anchored.Method.ScoreRows(pairs.Rejected, pairs.Prompts, states));
            var coldMargin = Margin(anchored.Method.ScoreRows(pairs.Chosen, pairs.Prompts, cold), anchored.Method.ScoreRows(pairs.Rejected, pairs.Prompts, cold));

            // The item effects count once for every user (AnchoredMethod): in the population's margin, and beside the
            // method's own margins, so that a + b - c of them always remains.
            var items = anchored.Anchor.ItemEffects is { } effects ? Margin(effects.call(pairs.Chosen), effects.call(pairs.Rejected)) : null;
            for (var i = 0; i < chunk.Length; i++)
            {
                var evidence = evidenceOf(chunk[i]);
                var item = items?[i] ?? 0;
                cases.Add(population[i], own[i] + item, coldMargin[i] + item, evidence.Pairs, evidence.Loss, userOf[chunk[i]]);
            }
        }
    }

    private static float[] Margin(Tensor chosen, Tensor rejected) => (chosen - rejected).cpu().contiguous().data<float>().ToArray();

    /// <summary>Held-out pairs as margins: the population's, the method's with the user's state, the method's cold.</summary>
    private sealed class Cases
    {
        private readonly List<(float Population, float Own, float Cold, int Pairs, double Loss)> _items = [];
        private readonly List<int> _users = [];

        public int Count => _items.Count;

        public void Add(float population, float own, float cold, int pairs, double loss, int user)
        {
            if (float.IsFinite(population) && float.IsFinite(own) && float.IsFinite(cold))
            {
                _items.Add((population, own, cold, pairs, loss));
                _users.Add(user);
            }
        }

        /// <summary>
        /// The candidate the one-standard-error rule clustered by user chooses (they come closest to the population
        /// first): a deviation from the population has to pay clearly to be chosen.
        /// </summary>
        public int OneStandardError(Func<int, double, double>[] weights, PopulationAnchorForm form) =>
            OneStandardErrorRule.Choose(weights.Select(w => PairLosses(form, w)).ToArray(), _users);

        /// <summary>
        /// The share of the pairs the combination ranks right, strictly (a tie is wrong, as in the evaluator's accuracy,
        /// so the figures compare); NaN without pairs. The manifest shows it for the population alone and the method
        /// alone, so a reader sees on which pairs the fit judged them.
        /// </summary>
        public double Accuracy(PopulationAnchorForm form, Func<int, double, double> weight)
        {
            if (_items.Count == 0)
            {
                return double.NaN;
            }

            var correct = _items.Count(item => Margin(item, form, weight) > 0);
            return Math.Round((double)correct / _items.Count, 4);
        }

        public double Loss(PopulationAnchorForm form, Func<int, double, double> weight) => _items.Count == 0 ? 0 : PairLosses(form, weight).Average();

        // The combined margin of one held-out pair: a r_pop + b r_method(state) - c r_method(cold).
        private static double Margin((float Population, float Own, float Cold, int Pairs, double Loss) item, PopulationAnchorForm form, Func<int, double, double> weight)
        {
            var c = AnchoredMethod.Columns(form, weight(item.Pairs, item.Loss));
            return (c[0] * (double)item.Population) + (c[1] * (double)item.Own) - (c[2] * (double)item.Cold);
        }

        private double[] PairLosses(PopulationAnchorForm form, Func<int, double, double> weight)
        {
            var losses = new double[_items.Count];
            for (var i = 0; i < _items.Count; i++)
            {
                var margin = Margin(_items[i], form, weight);
                losses[i] = margin > 0 ? Math.Log(1 + Math.Exp(-margin)) : -margin + Math.Log(1 + Math.Exp(margin));
            }

            return losses;
        }
    }
}
