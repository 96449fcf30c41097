using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// Adapting users: one encoder pass turns each user's pairs into a summary, batched across users (padded to the
/// widest set of a batch, with masks), then optionally a few gradient steps on the summaries alone, fitting each
/// user's pairs with the population frozen. Deterministic: the same pairs give the same state.
/// </summary>
internal static class FspoInference
{
    /// <summary>The most pairs of one user that are encoded (the most recent; self-attention is quadratic in the set size).</summary>
    public const int MaxPairsPerUser = 256;

    /// <summary>The most padded pairs encoded in one batch.</summary>
    private const int PairsPerBatch = 16384;

    /// <summary>One summary of <see cref="FspoNetwork.SummarySize"/> floats per user.</summary>
    /// <param name="network">The network (eval mode).</param>
    /// <param name="users">One dataset per user holding that user's pairs, oldest first.</param>
    /// <param name="options">The test-time step options.</param>
    /// <param name="device">The network's device.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The summaries.</returns>
    public static float[][] Summaries(FspoNetwork network, IReadOnlyList<PreferenceDataset> users, FspoOptions options, Device device, CancellationToken cancellationToken)
    {
        var summaries = new float[users.Count][];
        var sizes = users.Select(u => Math.Min(u.Count, MaxPairsPerUser)).ToList();
        foreach (var (start, count) in PairSets.Batches(sizes, PairsPerBatch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var sets = PairSets.Pack(users.Skip(start).Take(count).ToList(), MaxPairsPerUser, device);
            Tensor encoded;
            using (no_grad())
            {
                encoded = network.Summarize(sets.Chosen, sets.Rejected, sets.Prompts, sets.Mask);
            }

            var result = options.TestTimeSteps > 0 ? Refine(network, sets, encoded, options) : encoded;
            var values = result.cpu().contiguous().data<float>().ToArray();
            for (var u = 0; u < count; u++)
            {
                summaries[start + u] = values.AsSpan(u * network.SummarySize, network.SummarySize).ToArray();
            }
        }

        return summaries;
    }

    /// <summary>
    /// Gradient steps on the summaries s (population frozen): each user's weighted Bradley-Terry loss on their own
    /// pairs plus <c>anchor * ||s - s_encoded||^2</c>. Gradients are taken with respect to s alone.
    /// </summary>
    private static Tensor Refine(FspoNetwork network, PairSetBatch sets, Tensor encoded, FspoOptions options)
    {
        using var grad = enable_grad();
        var weights = sets.Weights * sets.Mask;
        var perUser = weights.sum(1).clamp_min(ScalarCache.Of(1e-12));
        var summary = encoded.detach().clone();
        for (var step = 0; step < options.TestTimeSteps; step++)
        {
            using var stepScope = NewDisposeScope();
            var s = summary.detach().requires_grad_(true);
            var condition = s.unsqueeze(1);
            var margins = network.Rewards(sets.Chosen, sets.Prompts, condition) - network.Rewards(sets.Rejected, sets.Prompts, condition);
            var loss = (((-margins).Softplus() * weights).sum(1) / perUser).sum()
                .Plus((s - encoded).Squared().sum().Times(options.TestTimeAnchor));
            var gradient = autograd.grad([loss], [s])[0];
            summary = (s.detach() - gradient.Times(options.TestTimeLearningRate)).MoveToOuterDisposeScope();
        }

        return summary;
    }
}
