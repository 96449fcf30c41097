namespace Pluralistic;

/// <summary>
/// What a model knows about one user: a versioned record tied to one population model. Methods choose what the
/// <see cref="Vector"/> means (ideal-point weights, a latent mean and log-variance, a direction, a group posterior,
/// a context summary); <see cref="Evidence"/> keeps the user's most recent labelled pairs so the state can be
/// refined when new pairs arrive.
/// </summary>
public sealed record UserState
{
    /// <summary>The record layout version this SDK writes.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>The user.</summary>
    public required UserId User { get; init; }

    /// <summary>The model kind the state was inferred for.</summary>
    public required string ModelKind { get; init; }

    /// <summary>The fingerprint of the population model the state was inferred for.</summary>
    public required string ModelFingerprint { get; init; }

    /// <summary>The record layout version.</summary>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The method-specific state vector.</summary>
    public required ReadOnlyMemory<float> Vector { get; init; }

    /// <summary>The retained labelled pairs, packed as <see cref="UserEvidence"/> describes; empty when none.</summary>
    public ReadOnlyMemory<float> Evidence { get; init; }

    /// <summary>The number of pairs packed in <see cref="Evidence"/>.</summary>
    public int EvidenceCount { get; init; }

    /// <summary>The number of pairs the user has given in total (including pairs no longer retained).</summary>
    public int PairCount { get; init; }

    /// <summary>
    /// Incremented on every write of the user's state; lets concurrent writers detect that the state changed
    /// between their read and their write.
    /// </summary>
    public long Revision { get; init; }

    /// <summary>When the state was first written (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>When the state was last written (UTC).</summary>
    public DateTimeOffset UpdatedUtc { get; init; }

    /// <summary>"kind@fingerprint" of the model the state belongs to, for messages.</summary>
    public string ModelTag => $"{ModelKind}@{ShortFingerprint(ModelFingerprint)}";

    /// <summary>The first 12 characters of a fingerprint.</summary>
    /// <param name="fingerprint">A hex fingerprint.</param>
    /// <returns>The short form.</returns>
    public static string ShortFingerprint(string fingerprint) =>
        fingerprint is { Length: > 12 } ? fingerprint[..12] : fingerprint;
}
