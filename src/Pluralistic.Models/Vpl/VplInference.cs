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
    /// <param name="users">Per user, a dataset and the records of that user in it (oldest first, at least one).</param>
    /// <param name="device">The network's device.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>One state of 2 x latent floats per user.</returns>
    public static float[][] InferStates(VplNetwork network, IReadOnlyList<(PreferenceDataset Data, int[] Records)> users, Device device, CancellationToken cancellationToken)
    {
        var states = new float[users.Count][];
        var d = network.ResponseDimension;
        var dp = network.PromptDimension;
        var latent = network.LatentSize;
        var start = 0;
        while (start < users.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Grow the batch while the padded size stays within budget.
            var width = Count(users[start]);
            var end = start + 1;
            while (end < users.Count && (end - start + 1) * (long)Math.Max(width, Count(users[end])) <= PairsPerBatch)
            {
                width = Math.Max(width, Count(users[end]));
                end++;
            }

            var b = end - start;
            var chosen = new float[b * width * d];
            var rejected = new float[b * width * d];
            var prompts = dp > 0 ? new float[b * width * dp] : null;
            var mask = new float[b * width];
            for (var u = 0; u < b; u++)
            {
                var (data, records) = users[start + u];
                var count = Count(users[start + u]);
                var recent = records.AsSpan(records.Length - count);
                for (var k = 0; k < count; k++)
                {
                    var slot = (u * width) + k;
                    data.ChosenVector(recent[k]).CopyTo(chosen.AsSpan(slot * d, d));
                    data.RejectedVector(recent[k]).CopyTo(rejected.AsSpan(slot * d, d));
                    if (prompts is not null)
                    {
                        data.PromptVector(recent[k]).CopyTo(prompts.AsSpan(slot * dp, dp));
                    }

                    mask[slot] = 1;
                }
            }

            using (var scope = NewDisposeScope())
            using (var noGrad = no_grad())
            {
                var (mean, logVariance) = network.Posterior(
                    tensor(chosen, [b, width, d], ScalarType.Float32, device),
                    tensor(rejected, [b, width, d], ScalarType.Float32, device),
                    prompts is null ? null : tensor(prompts, [b, width, dp], ScalarType.Float32, device),
                    tensor(mask, [b, width], ScalarType.Float32, device));
                var values = cat([mean, logVariance], dim: 1).cpu().contiguous().data<float>().ToArray();
                for (var u = 0; u < b; u++)
                {
                    states[start + u] = values.AsSpan(u * 2 * latent, 2 * latent).ToArray();
                }
            }

            start = end;
        }

        return states;
    }

    private static int Count((PreferenceDataset Data, int[] Records) user) => Math.Min(user.Records.Length, MaxPairsPerUser);
}
