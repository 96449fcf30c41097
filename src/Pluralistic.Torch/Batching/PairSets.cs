using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Users' labelled pairs as padded sets, for amortised inference (set encoders over a user's pairs): each user's
/// most recent pairs, users grouped into batches whose padded size stays within a budget.
/// </summary>
public static class PairSets
{
    /// <summary>
    /// Splits users into consecutive batches whose padded size (users x widest set) stays within
    /// <paramref name="pairsPerBatch"/> (a batch always holds at least one user).
    /// </summary>
    /// <param name="sizes">The number of pairs each user contributes.</param>
    /// <param name="pairsPerBatch">The most padded pairs in one batch.</param>
    /// <returns>The batches as (first user, users).</returns>
    public static IReadOnlyList<(int Start, int Count)> Batches(IReadOnlyList<int> sizes, int pairsPerBatch)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairsPerBatch);
        var batches = new List<(int, int)>();
        var start = 0;
        while (start < sizes.Count)
        {
            var width = Math.Max(sizes[start], 1);
            var end = start + 1;
            while (end < sizes.Count && (end - start + 1) * (long)Math.Max(width, sizes[end]) <= pairsPerBatch)
            {
                width = Math.Max(width, sizes[end]);
                end++;
            }

            batches.Add((start, end - start));
            start = end;
        }

        return batches;
    }

    /// <summary>
    /// The most recent <paramref name="maxPairsPerUser"/> pairs of each user in <paramref name="users"/> as padded sets
    /// [U, K, d] with a mask [U, K] (K is the widest set, at least 1). Call inside a dispose scope.
    /// </summary>
    /// <param name="users">One dataset per user holding that user's pairs, oldest first (may be empty).</param>
    /// <param name="maxPairsPerUser">The most pairs per user.</param>
    /// <param name="device">The device.</param>
    /// <returns>The sets.</returns>
    public static PairSetBatch Pack(IReadOnlyList<PreferenceDataset> users, int maxPairsPerUser, Device device)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPairsPerUser);
        if (users.Count == 0)
        {
            throw new ArgumentException("at least one user is required", nameof(users));
        }

        var d = users[0].ResponseDimension;
        var dp = users[0].PromptDimension;
        if (users.Any(u => u.ResponseDimension != d || u.PromptDimension != dp))
        {
            throw new ArgumentException("every user's pairs must have the same dimensions", nameof(users));
        }

        var b = users.Count;
        var width = Math.Max(users.Max(u => Math.Min(u.Count, maxPairsPerUser)), 1);
        var chosen = new float[b * width * d];
        var rejected = new float[b * width * d];
        var prompts = dp > 0 ? new float[b * width * dp] : null;
        var weights = new float[b * width];
        var mask = new float[b * width];
        for (var u = 0; u < b; u++)
        {
            var data = users[u];
            var count = Math.Min(data.Count, maxPairsPerUser);
            for (var k = 0; k < count; k++)
            {
                var record = data.Count - count + k;
                var slot = (u * width) + k;
                data.ChosenVector(record).CopyTo(chosen.AsSpan(slot * d, d));
                data.RejectedVector(record).CopyTo(rejected.AsSpan(slot * d, d));
                if (prompts is not null)
                {
                    data.PromptVector(record).CopyTo(prompts.AsSpan(slot * dp, dp));
                }

                weights[slot] = data.WeightAt(record);
                mask[slot] = 1;
            }
        }

        return new PairSetBatch(
            tensor(chosen, [b, width, d], ScalarType.Float32, device),
            tensor(rejected, [b, width, d], ScalarType.Float32, device),
            prompts is null ? null : tensor(prompts, [b, width, dp], ScalarType.Float32, device),
            tensor(weights, [b, width], ScalarType.Float32, device),
            tensor(mask, [b, width], ScalarType.Float32, device));
    }
}

/// <summary>Users' pairs as padded sets.</summary>
/// <param name="Chosen">Chosen vectors [U, K, d].</param>
/// <param name="Rejected">Rejected vectors [U, K, d].</param>
/// <param name="Prompts">Prompt vectors [U, K, dp], or <see langword="null"/>.</param>
/// <param name="Weights">Example weights [U, K] (0 for padding).</param>
/// <param name="Mask">1 for a real pair, 0 for padding [U, K].</param>
public sealed record PairSetBatch(Tensor Chosen, Tensor Rejected, Tensor? Prompts, Tensor Weights, Tensor Mask);
