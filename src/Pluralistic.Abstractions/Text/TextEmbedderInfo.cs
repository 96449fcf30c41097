namespace Pluralistic;

/// <summary>
/// Which text embedder made a model's training vectors: recorded in a run's manifest (<c>text_embedder</c>) and
/// carried in the model's <see cref="RewardModelMetadata.TextEmbedder"/>, so text is only ever scored with the
/// embedder the model learned from. The <see cref="Probe"/> tells two embedders with the same name apart (a hashed
/// generator fitted on other texts, another version of a model).
/// </summary>
public sealed record TextEmbedderInfo
{
    /// <summary>The embedder kind (<c>minilm</c>, <c>hashed</c>, or the provider's name for an embedder the SDK cannot rebuild).</summary>
    public required string Name { get; init; }

    /// <summary>The provider name in the embedder's metadata (Microsoft.Extensions.AI's <c>EmbeddingGeneratorMetadata</c>), when it has one.</summary>
    public string? Provider { get; init; }

    /// <summary>The model id in the embedder's metadata, when it has one.</summary>
    public string? ModelId { get; init; }

    /// <summary>The version of the model or of its saved form (informational: the probe decides whether two embedders agree).</summary>
    public string? Version { get; init; }

    /// <summary>The vector length.</summary>
    public required int Dimension { get; init; }

    /// <summary>The embedder's saved state in the run directory (the hashed generator's vocabulary weights), when it has one.</summary>
    public string? File { get; init; }

    /// <summary>A sketch of the embedder's vectors for fixed probe sentences; <see langword="null"/> for runs written before it was recorded.</summary>
    public TextEmbedderProbe? Probe { get; init; }

    /// <summary>A one-line description: name, provider and model, dimension.</summary>
    /// <returns>For example <c>minilm (pluralistic-minilm sentence-transformers/all-MiniLM-L6-v2, 384-d)</c>.</returns>
    public string Describe()
    {
        var source = string.Join(' ', new[] { Provider, ModelId }.Where(s => !string.IsNullOrEmpty(s)));
        return source.Length == 0 ? $"{Name} ({Dimension}-d)" : $"{Name} ({source}, {Dimension}-d)";
    }
}

/// <summary>
/// The vectors of a few fixed probe sentences, each L2-normalised and projected onto fixed pseudo-random unit
/// directions: a small sketch that two runs of the same embedder reproduce up to floating-point noise (another CPU's
/// instruction set changes ONNX results in their last bits), while another embedder lands far away.
/// </summary>
/// <param name="Scheme">Which probe sentences and directions made <paramref name="Values"/> (for example <c>probe/1</c>).</param>
/// <param name="Values">The projections, probe by probe.</param>
/// <param name="Tolerance">The largest absolute difference of any projection under which two embedders count as the same.</param>
public sealed record TextEmbedderProbe(string Scheme, IReadOnlyList<double> Values, double Tolerance)
{
    /// <summary>Whether <paramref name="other"/> has the same scheme, tolerance and values.</summary>
    /// <param name="other">The other sketch.</param>
    /// <returns>Value equality, values compared one by one.</returns>
    public bool Equals(TextEmbedderProbe? other) =>
        other is not null && Scheme == other.Scheme && Tolerance.Equals(other.Tolerance) && Values.SequenceEqual(other.Values);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Scheme, Tolerance, Values.Count);
}
