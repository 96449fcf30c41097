using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>
/// Amortised inference: one encoder pass turns each user's pairs into a posterior, batched across users (padded
/// to the largest set in a batch, with masks). The encoder accepts any number of pairs; a user's most recent
/// <see cref="MaxPairsPerUser"/> are encoded (self-attention is quadratic in the set size).
/// </summary>
internal static class VplInference
{
    /// <summary>The most pairs of one user that are encoded (the most recent ones).</summary>
    public const int MaxPairsPerUser = 256;

    /// <summary>The most padded pairs encoded in one batch.</summary>
    private const int PairsPerBatch = 16384;

    /// <summary>Each user's state [mean ; log-variance] from the user's pairs.</summary>
    /// <param name="network">The network (eval mode).</param>
    /// <param name="users">One dataset per user holding that user's pairs, oldest first (at least one).</param>
    /// <param name="device">The network's device.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>One state of 2 x latent floats per user.</returns>
    public static float[][] InferStates(VplNetwork network, IReadOnlyList<PreferenceDataset> users, Device device, CancellationToken cancellationToken)
    {
        var states = new float[users.Count][];
        var latent = network.LatentSize;
        var sizes = users.Select(u => Math.Min(u.Count, MaxPairsPerUser)).ToList();
        foreach (var (start, count) in PairSets.Batches(sizes, PairsPerBatch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var sets = PairSets.Pack(users.Skip(start).Take(count).ToList(), MaxPairsPerUser, device);
            Tensor mean, logVariance;
            using (no_grad())
            {
                // The steps enable autograd for the latent alone; everything else stays out of the graph.
                (mean, logVariance) = network.Posterior(sets.Chosen, sets.Rejected, sets.Prompts, sets.Mask);
                mean = network.AdaptMean(mean, logVariance, sets.Chosen, sets.Rejected, sets.Prompts, sets.Weights * sets.Mask, differentiable: false);
            }

            var values = cat([mean, logVariance], dim: 1).cpu().contiguous().data<float>().ToArray();
            for (var u = 0; u < count; u++)
            {
                states[start + u] = values.AsSpan(u * 2 * latent, 2 * latent).ToArray();
            }
        }

        return states;
    }
}
