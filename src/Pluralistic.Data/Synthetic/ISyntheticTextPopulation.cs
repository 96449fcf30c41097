namespace Pluralistic.Data;

/// <summary>
/// A synthetic population whose records are text only (prompt, chosen and rejected as sentences), with its splits,
/// its oracle, and which pairs are contested (the groups disagree on them). Experiments embed the text with the
/// configured embedder; <see cref="SyntheticTextPopulation"/> and <see cref="SyntheticParaphrasePopulation"/> are the two.
/// </summary>
public interface ISyntheticTextPopulation
{
    /// <summary>The preset's name.</summary>
    string Preset { get; }

    /// <summary>What the preset models.</summary>
    string Description { get; }

    /// <summary>Training records (seen users).</summary>
    IReadOnlyList<PreferenceRecord> Train { get; }

    /// <summary>Held-out records of seen users.</summary>
    IReadOnlyList<PreferenceRecord> TestSeen { get; }

    /// <summary>Records of unseen users, grouped by user, each user's first records serving as context.</summary>
    IReadOnlyList<PreferenceRecord> TestUnseen { get; }

    /// <summary>Oracle and best-single-reward accuracies per split.</summary>
    OracleReport Oracle { get; }

    /// <summary>Whether a record of this population is a contested pair: one on which the groups disagree.</summary>
    /// <param name="record">A record of this population.</param>
    /// <returns>True for a contested pair.</returns>
    bool IsContestedPair(PreferenceRecord record);

    /// <summary>Writes <c>train.jsonl</c>, <c>test_seen.jsonl</c>, <c>test_unseen.jsonl</c> and <c>oracle.json</c>.</summary>
    /// <param name="directory">The output directory (created when missing).</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>A task.</returns>
    Task WriteAsync(string directory, CancellationToken cancellationToken = default);
}
