namespace Pluralistic.Torch;

/// <summary>Shuffled mini-batches of record indices, reshuffled each epoch from the training random source.</summary>
public sealed class MiniBatches
{
    private readonly int[] _order;

    /// <summary>Batches over the given records.</summary>
    /// <param name="records">The record indices to batch (for example the training split).</param>
    /// <param name="batchSize">Records per batch.</param>
    public MiniBatches(IReadOnlyList<int> records, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _order = [.. records];
        BatchSize = batchSize;
    }

    /// <summary>Records per batch (the last may be smaller).</summary>
    public int BatchSize { get; }

    /// <summary>The number of records.</summary>
    public int Count => _order.Length;

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => Math.Max((Count + BatchSize - 1) / BatchSize, 1);

    /// <summary>Reshuffles the order.</summary>
    /// <param name="random">The random source.</param>
    public void Shuffle(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        random.Shuffle(_order);
    }

    /// <summary>The record indices of batch <paramref name="batch"/> in the current order.</summary>
    /// <param name="batch">0-based batch.</param>
    /// <returns>The indices.</returns>
    public ReadOnlySpan<int> Batch(int batch)
    {
        var start = batch * BatchSize;
        return _order.AsSpan(start, Math.Min(BatchSize, _order.Length - start));
    }

    /// <summary>All batches in the current order.</summary>
    /// <returns>One array per batch.</returns>
    public IEnumerable<int[]> All()
    {
        for (var b = 0; b < BatchesPerEpoch; b++)
        {
            yield return Batch(b).ToArray();
        }
    }
}
