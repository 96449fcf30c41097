namespace Pluralistic.Text.MiniLM;

/// <summary>Options of <see cref="MiniLmEmbeddingGenerator"/>.</summary>
public sealed record MiniLmOptions
{
    /// <summary>The default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 32;

    /// <summary>The default of <see cref="MaxTokens"/>: the sequence length all-MiniLM-L6-v2 was trained with.</summary>
    public const int DefaultMaxTokens = 256;

    /// <summary>
    /// The most texts encoded in one ONNX Runtime call. A call pads its texts to the longest, so texts are grouped by
    /// length first; larger batches amortise per-call overhead, smaller ones bound memory. Default 32.
    /// </summary>
    public int MaxBatchSize { get; init; } = DefaultMaxBatchSize;

    /// <summary>
    /// The most word pieces read per text, counting the two markers the model adds; a longer text is truncated (only
    /// its first <c>MaxTokens - 2</c> word pieces, about 190 English words at the default, shape its vector). At most 512,
    /// the model's position limit. Default 256.
    /// </summary>
    public int MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>
    /// ONNX Runtime's intra-op threads for one call (0: its default, one per physical core). A server that encodes on
    /// many request threads at once may prefer 1. Generators with the same value share one loaded model.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokens, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxTokens, 512);
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads);
    }
}
