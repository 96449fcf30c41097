using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// Adapting users, batched across users (padded to the widest set of a batch, with masks): the starting summary (the
/// population's, or the set encoder's reading of the pairs), then the meta-trained adaptation steps on the summaries
/// alone, fitting each user's pairs with the population frozen. Deterministic: the same pairs give the same state.
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
    /// <param name="device">The network's device.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The summaries.</returns>
    public static float[][] Summaries(FspoNetwork network, IReadOnlyList<PreferenceDataset> users, Device device, CancellationToken cancellationToken)
    {
        var summaries = new float[users.Count][];
        var sizes = users.Select(u => Math.Min(u.Count, MaxPairsPerUser)).ToList();
        foreach (var (start, count) in PairSets.Batches(sizes, PairsPerBatch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var sets = PairSets.Pack(users.Skip(start).Take(count).ToList(), MaxPairsPerUser, device);
            Tensor result;
            using (no_grad())
            {
                // The steps enable autograd for the summary alone; everything else stays out of the graph.
                var encoded = network.Summarize(sets.Chosen, sets.Rejected, sets.Prompts, sets.Mask);
                result = network.Adapt(encoded, sets.Chosen, sets.Rejected, sets.Prompts, sets.Weights * sets.Mask, differentiable: false);
            }

            var values = result.cpu().contiguous().data<float>().ToArray();
            for (var u = 0; u < count; u++)
            {
                summaries[start + u] = values.AsSpan(u * network.SummarySize, network.SummarySize).ToArray();
            }
        }

        return summaries;
    }
}
