using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Pluralistic;

/// <summary>
/// Labelled preference pairs in columnar form: contiguous row-major vectors (records x dimension) and index arrays,
/// so that mini-batches are gathers and slices rather than object graphs. Immutable once built.
/// </summary>
/// <remarks>
/// Record <c>i</c> says that user <see cref="UserAt"/>(i) preferred the response <see cref="ChosenVector"/>(i)
/// over <see cref="RejectedVector"/>(i), optionally for the prompt <see cref="PromptVector"/>(i).
/// Build one with <see cref="PreferenceDatasetBuilder"/> or load one from JSONL (<c>PreferenceJsonl</c>).
/// </remarks>
public sealed class PreferenceDataset
{
    private readonly float[] _chosen;
    private readonly float[] _rejected;
    private readonly float[] _prompts;
    private readonly int[] _userIndex;
    private readonly UserId[] _users;
    private readonly float[] _weights;
    private readonly int[] _groupIndex;
    private readonly string[] _groupNames;
    private readonly string[] _objectiveNames;
    private readonly float[] _chosenAttributes;
    private readonly float[] _rejectedAttributes;
    private readonly IReadOnlyDictionary<string, double>?[]? _directions;
    private readonly long[] _lines;
    private readonly PreferenceTexts? _texts;
    private int[][]? _recordsByUser;

    internal PreferenceDataset(
        int count,
        int responseDimension,
        int promptDimension,
        float[] chosen,
        float[] rejected,
        float[] prompts,
        UserId[] users,
        int[] userIndex,
        float[] weights,
        string[] groupNames,
        int[] groupIndex,
        string[] objectiveNames,
        float[] chosenAttributes,
        float[] rejectedAttributes,
        IReadOnlyDictionary<string, double>?[]? directions,
        long[] lines,
        PreferenceTexts? texts,
        string? sourcePath)
    {
        Count = count;
        ResponseDimension = responseDimension;
        PromptDimension = promptDimension;
        _chosen = chosen;
        _rejected = rejected;
        _prompts = prompts;
        _users = users;
        _userIndex = userIndex;
        _weights = weights;
        _groupNames = groupNames;
        _groupIndex = groupIndex;
        _objectiveNames = objectiveNames;
        _chosenAttributes = chosenAttributes;
        _rejectedAttributes = rejectedAttributes;
        _directions = directions;
        _lines = lines;
        _texts = texts;
        SourcePath = sourcePath;
    }

    /// <summary>The number of records.</summary>
    public int Count { get; }

    /// <summary>The length of every response vector.</summary>
    public int ResponseDimension { get; }

    /// <summary>The length of every prompt vector, or 0 when the records carry no prompt vectors.</summary>
    public int PromptDimension { get; }

    /// <summary>Whether records carry prompt vectors.</summary>
    public bool HasPrompts => PromptDimension > 0;

    /// <summary>The file the records were read from, when they were.</summary>
    public string? SourcePath { get; }

    /// <summary>The distinct users, in order of first appearance.</summary>
    public IReadOnlyList<UserId> Users => _users;

    /// <summary>Per record, the index of its user in <see cref="Users"/>.</summary>
    public ReadOnlyMemory<int> UserIndices => _userIndex;

    /// <summary>All chosen response vectors, row-major (<see cref="Count"/> x <see cref="ResponseDimension"/>).</summary>
    public ReadOnlyMemory<float> ChosenVectors => _chosen;

    /// <summary>All rejected response vectors, row-major (<see cref="Count"/> x <see cref="ResponseDimension"/>).</summary>
    public ReadOnlyMemory<float> RejectedVectors => _rejected;

    /// <summary>All prompt vectors, row-major (<see cref="Count"/> x <see cref="PromptDimension"/>); empty when none.</summary>
    public ReadOnlyMemory<float> PromptVectors => _prompts;

    /// <summary>Per record, its example weight (default 1).</summary>
    public ReadOnlyMemory<float> Weights => _weights;

    /// <summary>The distinct evaluation group labels.</summary>
    public IReadOnlyList<string> GroupNames => _groupNames;

    /// <summary>Per record, the index of its group in <see cref="GroupNames"/>, or -1 when it has none.</summary>
    public ReadOnlyMemory<int> GroupIndices => _groupIndex;

    /// <summary>The named objectives rated in <c>*_attributes</c>, in order of first appearance.</summary>
    public IReadOnlyList<string> ObjectiveNames => _objectiveNames;

    /// <summary>Per-objective ratings of the chosen responses (<see cref="Count"/> x objectives); NaN where missing.</summary>
    public ReadOnlyMemory<float> ChosenAttributes => _chosenAttributes;

    /// <summary>Per-objective ratings of the rejected responses (<see cref="Count"/> x objectives); NaN where missing.</summary>
    public ReadOnlyMemory<float> RejectedAttributes => _rejectedAttributes;

    /// <summary>Whether any record carries an explicit preference direction.</summary>
    public bool HasDirections => _directions is not null;

    /// <summary>Whether the records carry their texts (for display).</summary>
    public bool HasTexts => _texts is not null;

    /// <summary>The chosen response vector of record <paramref name="index"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The vector.</returns>
    public ReadOnlySpan<float> ChosenVector(int index) => _chosen.AsSpan(index * ResponseDimension, ResponseDimension);

    /// <summary>The rejected response vector of record <paramref name="index"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The vector.</returns>
    public ReadOnlySpan<float> RejectedVector(int index) => _rejected.AsSpan(index * ResponseDimension, ResponseDimension);

    /// <summary>The prompt vector of record <paramref name="index"/>; empty when records carry none.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The vector.</returns>
    public ReadOnlySpan<float> PromptVector(int index) => _prompts.AsSpan(index * PromptDimension, PromptDimension);

    /// <summary>The user of record <paramref name="index"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The user.</returns>
    public UserId UserAt(int index) => _users[_userIndex[index]];

    /// <summary>The weight of record <paramref name="index"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The weight.</returns>
    public float WeightAt(int index) => _weights[index];

    /// <summary>The group label of record <paramref name="index"/>, or <see langword="null"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The group.</returns>
    public string? GroupAt(int index) => _groupIndex[index] < 0 ? null : _groupNames[_groupIndex[index]];

    /// <summary>The explicit preference direction of record <paramref name="index"/>, or <see langword="null"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>Objective name to weight.</returns>
    public IReadOnlyDictionary<string, double>? DirectionAt(int index) => _directions?[index];

    /// <summary>The 0-based line of record <paramref name="index"/> in its source file (its record index when built in memory).</summary>
    /// <param name="index">The record.</param>
    /// <returns>The line index.</returns>
    public long LineAt(int index) => _lines[index];

    /// <summary>The prompt text of record <paramref name="index"/>, when the record had one.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The text or <see langword="null"/>.</returns>
    public string? PromptTextAt(int index) => _texts?.Prompts[index];

    /// <summary>The chosen response text of record <paramref name="index"/>, when the record had one.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The text or <see langword="null"/>.</returns>
    public string? ChosenTextAt(int index) => _texts?.Chosen[index];

    /// <summary>The rejected response text of record <paramref name="index"/>, when the record had one.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The text or <see langword="null"/>.</returns>
    public string? RejectedTextAt(int index) => _texts?.Rejected[index];

    /// <summary>The record indices of each user, aligned with <see cref="Users"/>, each in record order.</summary>
    /// <returns>One array of record indices per user.</returns>
    public IReadOnlyList<int[]> RecordsByUser()
    {
        if (_recordsByUser is not null)
        {
            return _recordsByUser;
        }

        var counts = new int[_users.Length];
        foreach (var u in _userIndex)
        {
            counts[u]++;
        }

        var result = new int[_users.Length][];
        for (var u = 0; u < result.Length; u++)
        {
            result[u] = new int[counts[u]];
        }

        Array.Clear(counts);
        for (var i = 0; i < Count; i++)
        {
            var u = _userIndex[i];
            result[u][counts[u]++] = i;
        }

        _recordsByUser = result;
        return result;
    }

    /// <summary>A new dataset holding the given records, in the given order (users and groups re-indexed).</summary>
    /// <param name="indices">Record indices; may repeat.</param>
    /// <returns>The subset.</returns>
    public PreferenceDataset Select(ReadOnlySpan<int> indices)
    {
        var n = indices.Length;
        var d = ResponseDimension;
        var dp = PromptDimension;
        var k = _objectiveNames.Length;
        var chosen = new float[n * d];
        var rejected = new float[n * d];
        var prompts = new float[n * dp];
        var weights = new float[n];
        var lines = new long[n];
        var chosenAttributes = new float[n * k];
        var rejectedAttributes = new float[n * k];
        var directions = _directions is null ? null : new IReadOnlyDictionary<string, double>?[n];
        var texts = _texts is null ? null : new PreferenceTexts(new string?[n], new string?[n], new string?[n]);

        var userMap = new Dictionary<int, int>();
        var users = new List<UserId>();
        var userIndex = new int[n];
        var groupMap = new Dictionary<int, int>();
        var groups = new List<string>();
        var groupIndex = new int[n];

        for (var j = 0; j < n; j++)
        {
            var i = indices[j];
            ArgumentOutOfRangeException.ThrowIfNegative(i);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Count);
            _chosen.AsSpan(i * d, d).CopyTo(chosen.AsSpan(j * d, d));
            _rejected.AsSpan(i * d, d).CopyTo(rejected.AsSpan(j * d, d));
            _prompts.AsSpan(i * dp, dp).CopyTo(prompts.AsSpan(j * dp, dp));
            _chosenAttributes.AsSpan(i * k, k).CopyTo(chosenAttributes.AsSpan(j * k, k));
            _rejectedAttributes.AsSpan(i * k, k).CopyTo(rejectedAttributes.AsSpan(j * k, k));
            weights[j] = _weights[i];
            lines[j] = _lines[i];
            if (directions is not null)
            {
                directions[j] = _directions![i];
            }

            if (texts is not null)
            {
                texts.Prompts[j] = _texts!.Prompts[i];
                texts.Chosen[j] = _texts.Chosen[i];
                texts.Rejected[j] = _texts.Rejected[i];
            }

            userIndex[j] = Remap(_userIndex[i], userMap, users, _users);
            groupIndex[j] = _groupIndex[i] < 0 ? -1 : Remap(_groupIndex[i], groupMap, groups, _groupNames);
        }

        return new PreferenceDataset(
            n, d, dp, chosen, rejected, prompts, [.. users], userIndex, weights, [.. groups], groupIndex,
            _objectiveNames, chosenAttributes, rejectedAttributes, directions, lines, texts, SourcePath);
    }

    /// <summary>A new dataset holding the records for which <paramref name="predicate"/> is true, in order.</summary>
    /// <param name="predicate">Takes a record index.</param>
    /// <returns>The subset.</returns>
    public PreferenceDataset Where(Func<int, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var keep = new List<int>(Count);
        for (var i = 0; i < Count; i++)
        {
            if (predicate(i))
            {
                keep.Add(i);
            }
        }

        return Select(CollectionsMarshal.AsSpan(keep));
    }

    /// <summary>
    /// The same records with chosen and rejected swapped (vectors, attributes and texts): every label flipped.
    /// Used to measure whether a model reads a user's context (label-flip sensitivity) and to test slot symmetry.
    /// </summary>
    /// <returns>The flipped dataset.</returns>
    public PreferenceDataset WithLabelsFlipped() => new(
        Count, ResponseDimension, PromptDimension, _rejected, _chosen, _prompts, _users, _userIndex, _weights,
        _groupNames, _groupIndex, _objectiveNames, _rejectedAttributes, _chosenAttributes, _directions, _lines,
        _texts is null ? null : new PreferenceTexts(_texts.Prompts, _texts.Rejected, _texts.Chosen),
        SourcePath);

    /// <summary>
    /// A fingerprint of the training-relevant content (users, vectors, weights, attributes), stable across machines;
    /// recorded in a run's manifest so a model names the data it was trained on. XxHash128: it detects any change
    /// (it is not a cryptographic signature) and hashes gigabytes of vectors in a fraction of a second.
    /// </summary>
    /// <returns>Lower-case hex digest (32 characters).</returns>
    public string ComputeFingerprint()
    {
        var hash = new XxHash128();
        Span<byte> header = stackalloc byte[12];
        BitConverter.TryWriteBytes(header, Count);
        BitConverter.TryWriteBytes(header[4..], ResponseDimension);
        BitConverter.TryWriteBytes(header[8..], PromptDimension);
        hash.Append(header);
        hash.Append(MemoryMarshal.AsBytes(_chosen.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(_rejected.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(_prompts.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(_weights.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(_chosenAttributes.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(_rejectedAttributes.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(_userIndex.AsSpan()));
        foreach (var user in _users)
        {
            hash.Append(System.Text.Encoding.UTF8.GetBytes(user.Value));
            hash.Append([0]);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    private static int Remap<T>(int old, Dictionary<int, int> map, List<T> list, T[] source)
    {
        if (!map.TryGetValue(old, out var mapped))
        {
            mapped = list.Count;
            map[old] = mapped;
            list.Add(source[old]);
        }

        return mapped;
    }
}

/// <summary>The texts of records, kept for display when a dataset was read from text.</summary>
/// <param name="Prompts">Per record, the prompt text or <see langword="null"/>.</param>
/// <param name="Chosen">Per record, the chosen response text or <see langword="null"/>.</param>
/// <param name="Rejected">Per record, the rejected response text or <see langword="null"/>.</param>
internal sealed record PreferenceTexts(string?[] Prompts, string?[] Chosen, string?[] Rejected);
