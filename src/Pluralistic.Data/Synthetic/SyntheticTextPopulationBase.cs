namespace Pluralistic.Data;

/// <summary>
/// What every synthetic text population has: the options it was drawn with, its seen and unseen users, its three
/// splits of text records and the oracle on them, written the same way. A preset (<see cref="SyntheticTextPopulation"/>,
/// <see cref="SyntheticParaphrasePopulation"/>) draws the users and records and says which pairs are contested.
/// </summary>
public abstract class SyntheticTextPopulationBase : ISyntheticTextPopulation
{
    private protected SyntheticTextPopulationBase(SyntheticPopulationOptions options) => Options = options;

    /// <inheritdoc/>
    public abstract string Preset { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <summary>The options the population was drawn with (the response dimension does not apply: records are text).</summary>
    public SyntheticPopulationOptions Options { get; }

    /// <summary>Users in the training data.</summary>
    public IReadOnlyList<UserId> SeenUsers { get; private protected init; } = [];

    /// <summary>Users held out of training.</summary>
    public IReadOnlyList<UserId> UnseenUsers { get; private protected init; } = [];

    /// <summary>Training records (text only).</summary>
    public IReadOnlyList<PreferenceRecord> Train { get; private protected init; } = [];

    /// <summary>Held-out records of seen users.</summary>
    public IReadOnlyList<PreferenceRecord> TestSeen { get; private protected init; } = [];

    /// <summary>Records of unseen users, grouped by user (the first serve as context).</summary>
    public IReadOnlyList<PreferenceRecord> TestUnseen { get; private protected init; } = [];

    /// <summary>Oracle and best-single-reward accuracies per split.</summary>
    public OracleReport Oracle { get; private protected init; } = null!;

    /// <inheritdoc/>
    bool ISyntheticTextPopulation.IsContestedPair(PreferenceRecord record) => IsContestedPair(record);

    /// <summary>Writes <c>train.jsonl</c>, <c>test_seen.jsonl</c>, <c>test_unseen.jsonl</c> and <c>oracle.json</c>.</summary>
    /// <param name="directory">The output directory (created when missing).</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>A task.</returns>
    public Task WriteAsync(string directory, CancellationToken cancellationToken = default) =>
        SyntheticFiles.WriteAsync(directory, Train, TestSeen, TestUnseen, Oracle, cancellationToken);

    /// <summary>Whether a record of this population is a contested pair.</summary>
    private protected abstract bool IsContestedPair(PreferenceRecord record);

    /// <summary>The oracle report of the three splits, under this preset's name, seed and description.</summary>
    private protected OracleReport CreateOracle(IReadOnlyDictionary<string, double> groupShares, OracleSplit train, OracleSplit testSeen, OracleSplit testUnseen) => new()
    {
        Preset = Preset,
        Seed = Options.Seed,
        Description = Description,
        GroupShares = groupShares,
        Splits = new Dictionary<string, OracleSplit>
        {
            ["train"] = train,
            ["test_seen"] = testSeen,
            ["test_unseen"] = testUnseen,
        },
    };
}
