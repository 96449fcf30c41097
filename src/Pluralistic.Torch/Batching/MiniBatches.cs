namespace Pluralistic.Torch;

/// <summary>
/// Mini-batches over rows 0..N-1. With <see cref="ReshuffleEveryEpoch"/> every epoch draws a fresh permutation of
/// rows; otherwise the rows are expected to be stored in a random order already and each batch is a run of
/// consecutive rows (a zero-copy slice), with only the order of batches shuffled per epoch — much cheaper for
/// large data, where gathering every row every epoch is memory-bound.
/// </summary>
internal sealed class MiniBatches
{
    private readonly int[] _order;
    private readonly int[] _batchOrder;

    /// <summary>Batches over <paramref name="count"/> rows.</summary>
    /// <param name="count">Rows.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="reshuffleEveryEpoch">Permute rows every epoch (gathers) or keep consecutive runs (slices).</param>
    public MiniBatches(int count, int batchSize, bool reshuffleEveryEpoch = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _order = Enumerable.Range(0, count).ToArray();
        BatchSize = batchSize;
        ReshuffleEveryEpoch = reshuffleEveryEpoch;
        _batchOrder = Enumerable.Range(0, BatchesPerEpoch).ToArray();
    }

    /// <summary>Rows per batch (the last may be smaller).</summary>
    public int BatchSize { get; }

    /// <summary>Whether rows are permuted every epoch.</summary>
    public bool ReshuffleEveryEpoch { get; }

    /// <summary>The number of rows.</summary>
    public int Count => _order.Length;

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => Math.Max((Count + BatchSize - 1) / BatchSize, 1);

    /// <summary>Starts an epoch: a new row permutation, or a new order of the consecutive runs.</summary>
    /// <param name="random">The random source.</param>
    public void Shuffle(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        random.Shuffle(ReshuffleEveryEpoch ? _order : _batchOrder);
    }

    /// <summary>The rows of batch <paramref name="batch"/> of the current epoch.</summary>
    /// <param name="batch">0-based batch.</param>
    /// <returns>Row positions.</returns>
    public ReadOnlySpan<int> Batch(int batch)
    {
        var (start, length) = Range(batch);
        return _order.AsSpan(start, length);
    }

    /// <summary>The consecutive rows of batch <paramref name="batch"/> (meaningful when rows are not reshuffled).</summary>
    /// <param name="batch">0-based batch.</param>
    /// <returns>First row and row count.</returns>
    public (int Start, int Length) Range(int batch)
    {
        var start = (ReshuffleEveryEpoch ? batch : _batchOrder[batch]) * BatchSize;
        return (start, Math.Min(BatchSize, _order.Length - start));
    }

    /// <summary>All batches of the current epoch.</summary>
    /// <returns>One array of row positions per batch.</returns>
    public IEnumerable<int[]> All()
    {
        for (var b = 0; b < BatchesPerEpoch; b++)
        {
            yield return Batch(b).ToArray();
        }
    }
}
