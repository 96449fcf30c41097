namespace Pluralistic.Text;

/// <summary>Options of the offline default embedding generator.</summary>
public sealed record HashedNgramOptions
{
    /// <summary>The tokenizer encoding (Microsoft.ML.Tokenizers' tiktoken data shipped as a package). Default <c>cl100k_base</c>.</summary>
    public string Encoding { get; init; } = "cl100k_base";

    /// <summary>The vector length (hash buckets). Default 512.</summary>
    public int Dimension { get; init; } = 512;

    /// <summary>The longest token n-gram hashed (1: unigrams only; 2: unigrams and bigrams). Default 2.</summary>
    public int MaxNgram { get; init; } = 2;

    /// <summary>Lower-case text before tokenizing. Default true.</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Use 1 + log(count) instead of the raw count. Default true.</summary>
    public bool SublinearTf { get; init; } = true;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Dimension, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNgram, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxNgram, 4);
        ArgumentException.ThrowIfNullOrWhiteSpace(Encoding);
    }
}
