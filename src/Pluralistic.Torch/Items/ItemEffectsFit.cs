using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Fits <see cref="ItemEffects"/> on top of a trained population reward: with the reward's margins held fixed,
/// <c>p(chosen) = sigmoid(m + b_chosen - b_rejected)</c>, each item's offset shrunk to 0 by an L2 penalty
/// <c>lambda / 2 * b^2</c> (an item seen in few pairs keeps little of its own). Lambda is chosen on held-out pairs
/// from a grid that includes "no effects", by the one-standard-error rule clustered by user, so effects are kept only
/// where they clearly pay: on data whose responses never repeat there are none to learn, and on a catalogue whose
/// features already tell the items apart they may not pay.
/// </summary>
internal static class ItemEffectsFit
{
    /// <summary>The penalties tried, in pairs: lambda = 8 shrinks an item seen in 8 balanced pairs halfway to 0.</summary>
    public static readonly double[] Strengths = [256, 128, 64, 32, 16, 8, 4, 2, 1];

    private const int MaxIterations = 200;
    private const double Tolerance = 1e-5;

    /// <summary>The result of a fit.</summary>
    /// <param name="Effects">The effects, or <see langword="null"/> when none paid on the held-out pairs (or none could be judged).</param>
    /// <param name="Strength">The chosen lambda (NaN without effects).</param>
    /// <param name="Items">Items the training pairs of at least two users show.</param>
    public readonly record struct Result(ItemEffects? Effects, double Strength, int Items);

    /// <summary>Fits the effects of a population reward.</summary>
    /// <param name="reward">The trained population reward: responses [B, d] and prompts [B, dp] to rewards [B].</param>
    /// <param name="data">The training data.</param>
    /// <param name="train">Records the effects are fitted on.</param>
    /// <param name="heldOut">Records lambda is chosen on.</param>
    /// <param name="device">The reward's device.</param>
    /// <returns>The fit.</returns>
    /// <param name="fixedStrength">A lambda to fit with instead of choosing one on <paramref name="heldOut"/> (then unused).</param>
    public static Result Fit(nn.Module<Tensor, Tensor?, Tensor> reward, PreferenceDataset data, IReadOnlyList<int> train, IReadOnlyList<int> heldOut, Device device, double? fixedStrength = null)
    {
        var keys = ItemKeys.Of(data);
        if (train.Count == 0 || (heldOut.Count == 0 && fixedStrength is null) || !ItemKeys.RepeatWithinUsers(data, keys))
        {
            return new Result(null, double.NaN, 0);
        }

        // An item gets an effect when the training pairs of at least two users show it: an effect is what the
        // population thinks of the item, and one user's pairs over their own replies (a conversation's, say) say
        // nothing about it that the user's own reward should not carry.
        var raters = new Dictionary<ulong, HashSet<int>>();
        var users = data.UserIndices.Span;
        foreach (var r in train)
        {
            foreach (var key in new[] { keys[r].Chosen, keys[r].Rejected })
            {
                if (!raters.TryGetValue(key, out var set))
                {
                    raters[key] = set = [];
                }

                set.Add(users[r]);
            }
        }

        var index = new Dictionary<ulong, int>();
        foreach (var (key, set) in raters)
        {
            if (set.Count >= 2)
            {
                index[key] = index.Count;
            }
        }

        if (index.Count == 0)
        {
            return new Result(null, double.NaN, 0);
        }

        (int, int) Items(int r) => (index.GetValueOrDefault(keys[r].Chosen, -1), index.GetValueOrDefault(keys[r].Rejected, -1));
        var fitPairs = Pairs(reward, data, train, device, Items).Where(p => p.Chosen >= 0 || p.Rejected >= 0).ToArray();
        var offsets = new double[index.Count];
        if (fixedStrength is { } given)
        {
            Solve(fitPairs, offsets, given);
            return Effects(index, offsets, given);
        }

        // Every candidate's held-out loss per pair, from no effects (the network alone) through strong to weak
        // shrinkage, each fit starting from the last, then the one-standard-error rule clustered by user: effects are
        // kept only when they pay clearly, and then as strongly shrunk as the held-out pairs allow.
        var judgePairs = Pairs(reward, data, heldOut, device, Items);
        var judgeUsers = new int[heldOut.Count];
        for (var i = 0; i < heldOut.Count; i++)
        {
            judgeUsers[i] = users[heldOut[i]];
        }

        var candidates = new List<(double Strength, double[]? Offsets, double[] Losses)> { (double.NaN, null, PairLosses(judgePairs, offsets)) };
        foreach (var strength in Strengths)
        {
            Solve(fitPairs, offsets, strength);
            candidates.Add((strength, (double[])offsets.Clone(), PairLosses(judgePairs, offsets)));
        }

        var chosen = candidates[OneStandardErrorRule.Choose(candidates.Select(c => c.Losses).ToArray(), judgeUsers)];
        return chosen.Offsets is null ? new Result(null, double.NaN, index.Count) : Effects(index, chosen.Offsets, chosen.Strength);
    }

    private static Result Effects(Dictionary<ulong, int> index, double[] offsets, double strength)
    {
        var ordered = index.OrderBy(p => p.Value).ToArray();
        return new Result(new ItemEffects(ordered.Select(p => p.Key).ToArray(), ordered.Select(p => (float)offsets[p.Value]).ToArray()) { Strength = strength }, strength, index.Count);
    }

    // Every held-out pair's log-loss (weighted) with the offsets added to the network's margin.
    private static double[] PairLosses(Pair[] pairs, double[] offsets)
    {
        var losses = new double[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            var z = pairs[i].Margin + Offset(offsets, pairs[i].Chosen) - Offset(offsets, pairs[i].Rejected);
            losses[i] = pairs[i].Weight * Softplus(-z);
        }

        return losses;
    }

    /// <summary>
    /// Fits the effects of <paramref name="reward"/> and attaches them when they pay, recording what happened in
    /// <paramref name="metrics"/> (<c>{prefix}item_effects</c>: items with an effect, 0 when none; <c>{prefix}item_effects_strength</c>: lambda).
    /// </summary>
    /// <typeparam name="TReward">The reward's module type.</typeparam>
    /// <param name="reward">The trained population reward.</param>
    /// <param name="data">The training data.</param>
    /// <param name="train">Records the effects are fitted on.</param>
    /// <param name="heldOut">Records lambda is chosen on.</param>
    /// <param name="device">The reward's device.</param>
    /// <param name="metrics">Receives the fit's figures, or <see langword="null"/>.</param>
    /// <param name="prefix">Prefix of the metric names.</param>
    /// <param name="fixedStrength">A lambda to fit with instead of choosing one (see <see cref="Fit"/>).</param>
    public static void Attach<TReward>(TReward reward, PreferenceDataset data, IReadOnlyList<int> train, IReadOnlyList<int> heldOut, Device device, IDictionary<string, double>? metrics, string prefix = "", double? fixedStrength = null)
        where TReward : nn.Module<Tensor, Tensor?, Tensor>, IItemEffectsHost
    {
        var fit = Fit(reward, data, train, heldOut, device, fixedStrength);
        if (fit.Effects is { } effects)
        {
            effects.to(device);
            reward.AttachItemEffects(effects);
        }

        if (metrics is not null && fit.Items > 0)
        {
            metrics[prefix + "item_effects"] = fit.Effects?.Count ?? 0;
            if (fit.Effects is not null)
            {
                metrics[prefix + "item_effects_strength"] = fit.Strength;
            }
        }
    }

    // Each pair: the reward's margin, its weight and the two items' indices (-1: an item without an effect).
    private readonly record struct Pair(double Margin, double Weight, int Chosen, int Rejected);

    private static Pair[] Pairs(nn.Module<Tensor, Tensor?, Tensor> reward, PreferenceDataset data, IReadOnlyList<int> records, Device device, Func<int, (int, int)> items)
    {
        const int Batch = 4096;
        var pairs = new Pair[records.Count];
        var weights = data.Weights.Span;
        using var noGrad = no_grad();
        for (var start = 0; start < records.Count; start += Batch)
        {
            var rows = records.Skip(start).Take(Batch).ToArray();
            using var scope = NewDisposeScope();
            using var tensors = new PairTensors(data, rows, device);
            var margins = reward.call(tensors.Chosen, tensors.Prompts).sub(reward.call(tensors.Rejected, tensors.Prompts)).cpu().data<float>().ToArray();
            for (var i = 0; i < rows.Length; i++)
            {
                var (c, r) = items(rows[i]);
                pairs[start + i] = new Pair(margins[i], weights[rows[i]], c, r);
            }
        }

        return pairs;
    }

    // Newton steps on each offset with the others held (Jacobi, halved so coupled items do not overshoot).
    private static void Solve(Pair[] pairs, double[] offsets, double strength)
    {
        var gradient = new double[offsets.Length];
        var curvature = new double[offsets.Length];
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            for (var i = 0; i < offsets.Length; i++)
            {
                gradient[i] = strength * offsets[i];
                curvature[i] = strength;
            }

            foreach (var pair in pairs)
            {
                var p = Sigmoid(pair.Margin + Offset(offsets, pair.Chosen) - Offset(offsets, pair.Rejected));
                var g = pair.Weight * (p - 1);
                var h = pair.Weight * p * (1 - p);
                if (pair.Chosen >= 0)
                {
                    gradient[pair.Chosen] += g;
                    curvature[pair.Chosen] += h;
                }

                if (pair.Rejected >= 0)
                {
                    gradient[pair.Rejected] -= g;
                    curvature[pair.Rejected] += h;
                }
            }

            var largest = 0.0;
            for (var i = 0; i < offsets.Length; i++)
            {
                var step = 0.5 * gradient[i] / curvature[i];
                offsets[i] -= step;
                largest = Math.Max(largest, Math.Abs(step));
            }

            if (largest < Tolerance)
            {
                return;
            }
        }
    }

    private static double Offset(double[] offsets, int item) => item < 0 ? 0 : offsets[item];

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static double Softplus(double z) => z > 30 ? z : Math.Log(1 + Math.Exp(z));
}
