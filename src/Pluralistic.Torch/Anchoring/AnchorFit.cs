using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Fits the anchor's form and kappa on what a user will be asked in use: pairs over responses the user's state has not
/// seen. Responses are identified by their vectors (the same vector is the same item). Two sets: the validation pairs
/// of the seen users whose responses appear in none of that user's training pairs, scored with the user's trained
/// state (n = the user's pairs, capped at <see cref="SeenPairsCap"/>); and, for a sample of the users as if they were
/// new, states inferred from only their first k training pairs (n = k, for k in 1, 2, 5, 10, 20), scored on all their
/// other pairs over responses those k pairs do not show (the population parameters were trained on those pairs too,
/// but the user's state sees only the k pairs, as a new user's would). The form and kappa with the lowest log-loss over both win; ties go
/// to the larger kappa (closer to the population).
/// </summary>
internal static class AnchorFit
{
    /// <summary>The kappas tried: 0, powers of two from 1/2 to 4096, and infinity.</summary>
    private static readonly double[] Kappas =
        [double.PositiveInfinity, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1, 0.5, 0];

    private static readonly int[] ContextSizes = [1, 2, 5, 10, 20];

    private const int FewShotUsers = 256;

    /// <summary>Fits the anchor; without validation pairs the method keeps its own reward for any user with pairs.</summary>
    /// <param name="anchored">The method's hooks with the anchor.</param>
    /// <param name="session">The training session (data and its validation split).</param>
    /// <param name="seenStates">The seen users' method states, in the data's user order.</param>
    /// <param name="evidenceCapacity">The most pairs a user's state is inferred from after training.</param>
    /// <param name="cancellationToken">Cancels the fit.</param>
    /// <returns>The fitted anchor and what the fit saw (log-losses), for the manifest's metrics.</returns>
    public static (PopulationAnchorInfo Info, Dictionary<string, double> Metrics) Fit(
        AnchoredMethod anchored, TrainingSession session, IReadOnlyList<float[]> seenStates, int evidenceCapacity, CancellationToken cancellationToken)
    {
        var info = anchored.Info;
        var cases = new Cases();
        var data = session.Data;
        var byUser = data.RecordsByUser();
        var validation = session.ValidationRecords.ToHashSet();
        var users = Enumerable.Range(0, byUser.Count).Where(u => byUser[u].Length > 1).ToArray();
        if (users.Length == 0)
        {
            return (info with { Form = PopulationAnchorForm.Blend, Kappa = 0 }, new Dictionary<string, double>(StringComparer.Ordinal));
        }

        // Seen users: their trained states, on validation pairs over responses none of their training pairs show.
        var items = ItemKeys(data);
        var heldRecords = users.SelectMany(u => Unseen(byUser[u].Where(validation.Contains), byUser[u].Where(r => !validation.Contains(r)), items)).ToArray();
        var userOfRecord = new Dictionary<int, int>();
        foreach (var u in users)
        {
            foreach (var r in byUser[u])
            {
                userOfRecord[r] = u;
            }
        }

        var cap = SeenPairsCap(evidenceCapacity);
        Score(anchored, data, heldRecords, r => seenStates[userOfRecord[r]], r => Math.Min(byUser[userOfRecord[r]].Length, cap), cases, session.Device, cancellationToken);

        // A sample of them as if they were new: states inferred from their first k training pairs.
        var sample = users.ToArray();
        new Random(session.Seed ^ 0x4a4c).Shuffle(sample);
        sample = sample[..Math.Min(sample.Length, FewShotUsers)];
        foreach (var k in ContextSizes.Where(k => k <= Math.Max(evidenceCapacity, 1)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var eligible = sample.Where(u => byUser[u].Count(r => !validation.Contains(r)) > k).ToArray();
            if (eligible.Length == 0)
            {
                continue;
            }

            var contexts = eligible.Select(u => byUser[u].Where(r => !validation.Contains(r)).Take(k).ToArray()).ToArray();
            var evidence = contexts.Select(c => data.Select(c)).ToList();
            float[][] states;
            using (NewDisposeScope())
            {
                states = anchored.Method.InferStates(evidence, cancellationToken);
            }

            var stateOf = eligible.Select((u, i) => (u, i)).ToDictionary(p => p.u, p => states[p.i]);
            var records = eligible.SelectMany((u, i) => Unseen(byUser[u].Except(contexts[i]), contexts[i], items)).ToArray();
            Score(anchored, data, records, r => stateOf[userOfRecord[r]], _ => k, cases, session.Device, cancellationToken);
        }

        var best = (Form: PopulationAnchorForm.Deviation, Kappa: double.PositiveInfinity, Loss: cases.Loss(PopulationAnchorForm.Deviation, double.PositiveInfinity));
        foreach (var form in new[] { PopulationAnchorForm.Deviation, PopulationAnchorForm.Blend })
        {
            foreach (var kappa in Kappas)
            {
                var loss = cases.Loss(form, kappa);
                if (loss < best.Loss - 1e-9)
                {
                    best = (form, kappa, loss);
                }
            }
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["anchor_kappa"] = best.Kappa,
            ["anchor_fit_pairs"] = cases.Count,
            ["anchor_fit_loss"] = Math.Round(best.Loss, 6),
            ["anchor_fit_loss_population"] = Math.Round(cases.Loss(PopulationAnchorForm.Deviation, double.PositiveInfinity), 6),
            ["anchor_fit_loss_method"] = Math.Round(cases.Loss(PopulationAnchorForm.Blend, 0), 6),
        };
        return (info with { Form = best.Form, Kappa = best.Kappa }, metrics);
    }

    /// <summary>
    /// The pairs a seen user's weight counts: its pairs, at most the evidence capacity (and at least the largest context
    /// the fit measures), so a trained state weighs no more than the fit has seen states weigh.
    /// </summary>
    /// <param name="evidenceCapacity">The model's evidence capacity.</param>
    /// <returns>The cap.</returns>
    public static int SeenPairsCap(int evidenceCapacity) => Math.Max(evidenceCapacity, ContextSizes[^1]);

    // The held-out records whose two responses appear in none of the given records.
    private static IEnumerable<int> Unseen(IEnumerable<int> heldOut, IEnumerable<int> seen, (ulong Chosen, ulong Rejected)[] items)
    {
        var shown = seen.SelectMany(r => new[] { items[r].Chosen, items[r].Rejected }).ToHashSet();
        return heldOut.Where(r => !shown.Contains(items[r].Chosen) && !shown.Contains(items[r].Rejected));
    }

    // A key per response vector (FNV-1a over its bytes): equal vectors are the same item.
    private static (ulong Chosen, ulong Rejected)[] ItemKeys(PreferenceDataset data)
    {
        var d = data.ResponseDimension;
        var keys = new (ulong, ulong)[data.Count];
        var chosen = data.ChosenVectors.Span;
        var rejected = data.RejectedVectors.Span;
        for (var i = 0; i < data.Count; i++)
        {
            keys[i] = (Fnv(chosen.Slice(i * d, d)), Fnv(rejected.Slice(i * d, d)));
        }

        return keys;
    }

    private static ulong Fnv(ReadOnlySpan<float> vector)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    // Scores records with per-record states: the population margin, the method's margin and its cold-start margin.
    private static void Score(
        AnchoredMethod anchored, PreferenceDataset data, int[] records, Func<int, float[]> stateOf, Func<int, int> pairsOf, Cases cases, Device device, CancellationToken cancellationToken)
    {
        var size = anchored.Method.StateSize;
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
            for (var i = 0; i < chunk.Length; i++)
            {
                cases.Add(population[i], own[i], coldMargin[i], pairsOf(chunk[i]));
            }
        }
    }

    private static float[] Margin(Tensor chosen, Tensor rejected) => (chosen - rejected).cpu().contiguous().data<float>().ToArray();

    /// <summary>Held-out pairs as margins: the population's, the method's with the user's state, the method's cold.</summary>
    private sealed class Cases
    {
        private readonly List<(float Population, float Own, float Cold, int Pairs)> _items = [];

        public int Count => _items.Count;

        public void Add(float population, float own, float cold, int pairs)
        {
            if (float.IsFinite(population) && float.IsFinite(own) && float.IsFinite(cold))
            {
                _items.Add((population, own, cold, pairs));
            }
        }

        public double Loss(PopulationAnchorForm form, double kappa)
        {
            if (_items.Count == 0)
            {
                return 0;
            }

            double sum = 0;
            foreach (var (population, own, cold, pairs) in _items)
            {
                var c = AnchoredMethod.Columns(form, PopulationAnchorInfo.Weight(pairs, kappa));
                var margin = (c[0] * (double)population) + (c[1] * (double)own) - (c[2] * (double)cold);
                sum += margin > 0 ? Math.Log(1 + Math.Exp(-margin)) : -margin + Math.Log(1 + Math.Exp(margin));
            }

            return sum / _items.Count;
        }
    }
}
