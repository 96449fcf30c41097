namespace Pluralistic;

/// <summary>
/// Builds a <see cref="PreferenceDataset"/> record by record, validating every record (dimensions, finite values,
/// user ids) as it is added so that a bad record never reaches a model.
/// </summary>
public sealed class PreferenceDatasetBuilder
{
    private readonly List<UserId> _users = [];
    private readonly Dictionary<UserId, int> _userLookup = [];
    private readonly List<int> _userIndex = [];
    private readonly List<string> _groups = [];
    private readonly Dictionary<string, int> _groupLookup = new(StringComparer.Ordinal);
    private readonly List<int> _groupIndex = [];
    private readonly List<float> _weights = [];
    private readonly List<long> _lines = [];
    private readonly List<string> _objectives = [];
    private readonly Dictionary<string, int> _objectiveLookup = new(StringComparer.Ordinal);
    private readonly List<(IReadOnlyDictionary<string, double>? Chosen, IReadOnlyDictionary<string, double>? Rejected)> _attributes = [];
    private readonly List<IReadOnlyDictionary<string, double>?> _directions = [];
    private readonly List<string?> _promptTexts = [];
    private readonly List<string?> _chosenTexts = [];
    private readonly List<string?> _rejectedTexts = [];
    private float[] _chosen;
    private float[] _rejected;
    private float[] _prompts;
    private bool _anyAttributes;
    private bool _anyDirections;
    private bool _anyTexts;

    /// <summary>Creates a builder for vectors of the given dimensions.</summary>
    /// <param name="responseDimension">Length of every response vector (&gt; 0).</param>
    /// <param name="promptDimension">Length of every prompt vector, or 0 for records without prompt vectors.</param>
    /// <param name="capacity">Expected number of records.</param>
    public PreferenceDatasetBuilder(int responseDimension, int promptDimension = 0, int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(responseDimension);
        ArgumentOutOfRangeException.ThrowIfNegative(promptDimension);
        ResponseDimension = responseDimension;
        PromptDimension = promptDimension;
        capacity = Math.Max(capacity, 1);
        _chosen = new float[capacity * responseDimension];
        _rejected = new float[capacity * responseDimension];
        _prompts = new float[capacity * promptDimension];
    }

    /// <summary>The length of every response vector.</summary>
    public int ResponseDimension { get; }

    /// <summary>The length of every prompt vector (0: none).</summary>
    public int PromptDimension { get; }

    /// <summary>The number of records added so far.</summary>
    public int Count { get; private set; }

    /// <summary>The file the records come from, reported by errors and kept on the dataset.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Adds one labelled pair.</summary>
    /// <param name="user">Who expressed the preference.</param>
    /// <param name="chosen">The preferred response's vector.</param>
    /// <param name="rejected">The other response's vector.</param>
    /// <param name="prompt">The prompt's vector; required exactly when the builder has a prompt dimension.</param>
    /// <param name="extras">Optional weight, group, attributes, direction, texts and source line.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidPreferenceDataException">A vector has the wrong length or a non-finite value.</exception>
    public PreferenceDatasetBuilder Add(
        UserId user,
        ReadOnlySpan<float> chosen,
        ReadOnlySpan<float> rejected,
        ReadOnlySpan<float> prompt = default,
        PreferenceRecordExtras? extras = null)
    {
        if (user.Value is null)
        {
            throw Error(PreferenceDataError.InvalidUserId, "user_id is empty", extras);
        }

        CheckVector(chosen, ResponseDimension, "chosen_embedding", extras);
        CheckVector(rejected, ResponseDimension, "rejected_embedding", extras);
        if (PromptDimension > 0 || !prompt.IsEmpty)
        {
            if (PromptDimension == 0)
            {
                throw Error(PreferenceDataError.InconsistentPrompts, "record has a prompt_embedding but the dataset has none", extras);
            }

            if (prompt.IsEmpty)
            {
                throw Error(PreferenceDataError.InconsistentPrompts, "record has no prompt_embedding but the dataset's other records do", extras);
            }

            CheckVector(prompt, PromptDimension, "prompt_embedding", extras);
        }

        var weight = extras?.Weight ?? 1f;
        if (!float.IsFinite(weight) || weight < 0)
        {
            throw Error(PreferenceDataError.InvalidValue, $"weight must be a finite number >= 0 (got {weight})", extras);
        }

        CheckNamedValues(extras?.ChosenAttributes, "chosen_attributes", extras);
        CheckNamedValues(extras?.RejectedAttributes, "rejected_attributes", extras);
        CheckNamedValues(extras?.Direction, "direction", extras);
        if (extras?.Direction is { } direction && direction.Values.All(v => v == 0))
        {
            throw Error(PreferenceDataError.InvalidValue, "direction has no non-zero weight", extras);
        }

        EnsureCapacity(Count + 1);
        chosen.CopyTo(_chosen.AsSpan(Count * ResponseDimension));
        rejected.CopyTo(_rejected.AsSpan(Count * ResponseDimension));
        prompt.CopyTo(_prompts.AsSpan(Count * PromptDimension));

        if (!_userLookup.TryGetValue(user, out var u))
        {
            u = _users.Count;
            _userLookup[user] = u;
            _users.Add(user);
        }

        _userIndex.Add(u);
        _weights.Add(weight);
        _lines.Add(extras?.Line ?? Count);
        _groupIndex.Add(extras?.Group is { } g ? Intern(g, _groups, _groupLookup) : -1);

        if (extras?.ChosenAttributes is not null || extras?.RejectedAttributes is not null)
        {
            _anyAttributes = true;
            foreach (var name in (extras.ChosenAttributes?.Keys ?? []).Concat(extras.RejectedAttributes?.Keys ?? []))
            {
                Intern(name, _objectives, _objectiveLookup);
            }
        }

        _attributes.Add((extras?.ChosenAttributes, extras?.RejectedAttributes));
        _directions.Add(extras?.Direction);
        _anyDirections |= extras?.Direction is not null;
        _promptTexts.Add(extras?.PromptText);
        _chosenTexts.Add(extras?.ChosenText);
        _rejectedTexts.Add(extras?.RejectedText);
        _anyTexts |= extras?.PromptText is not null || extras?.ChosenText is not null || extras?.RejectedText is not null;
        Count++;
        return this;
    }

    /// <summary>Builds the dataset.</summary>
    /// <returns>The dataset.</returns>
    /// <exception cref="InvalidPreferenceDataException">No record was added.</exception>
    public PreferenceDataset Build()
    {
        if (Count == 0)
        {
            throw new InvalidPreferenceDataException(
                PreferenceDataError.Empty, SourcePath is null ? "the dataset holds no records" : "the file holds no records", SourcePath);
        }

        var k = _anyAttributes ? _objectives.Count : 0;
        var chosenAttributes = new float[Count * k];
        var rejectedAttributes = new float[Count * k];
        if (k > 0)
        {
            Array.Fill(chosenAttributes, float.NaN);
            Array.Fill(rejectedAttributes, float.NaN);
            for (var i = 0; i < Count; i++)
            {
                Scatter(_attributes[i].Chosen, chosenAttributes.AsSpan(i * k, k));
                Scatter(_attributes[i].Rejected, rejectedAttributes.AsSpan(i * k, k));
            }
        }

        return new PreferenceDataset(
            Count,
            ResponseDimension,
            PromptDimension,
            _chosen.AsSpan(0, Count * ResponseDimension).ToArray(),
            _rejected.AsSpan(0, Count * ResponseDimension).ToArray(),
            _prompts.AsSpan(0, Count * PromptDimension).ToArray(),
            [.. _users],
            [.. _userIndex],
            [.. _weights],
            [.. _groups],
            [.. _groupIndex],
            k > 0 ? [.. _objectives] : [],
            chosenAttributes,
            rejectedAttributes,
            _anyDirections ? [.. _directions] : null,
            [.. _lines],
            _anyTexts ? new PreferenceTexts([.. _promptTexts], [.. _chosenTexts], [.. _rejectedTexts]) : null,
            SourcePath);
    }

    private void Scatter(IReadOnlyDictionary<string, double>? values, Span<float> row)
    {
        if (values is null)
        {
            return;
        }

        foreach (var (name, value) in values)
        {
            row[_objectiveLookup[name]] = (float)value;
        }
    }

    private void EnsureCapacity(int records)
    {
        if (records * ResponseDimension <= _chosen.Length)
        {
            return;
        }

        var capacity = Math.Max(records, _chosen.Length / ResponseDimension * 2);
        Array.Resize(ref _chosen, capacity * ResponseDimension);
        Array.Resize(ref _rejected, capacity * ResponseDimension);
        Array.Resize(ref _prompts, capacity * PromptDimension);
    }

    private static int Intern(string name, List<string> list, Dictionary<string, int> lookup)
    {
        if (!lookup.TryGetValue(name, out var index))
        {
            index = list.Count;
            lookup[name] = index;
            list.Add(name);
        }

        return index;
    }

    private InvalidPreferenceDataException Error(PreferenceDataError error, string problem, PreferenceRecordExtras? extras) =>
        new(error, problem, SourcePath, extras?.Line is { } line ? line + 1 : null);

    private void CheckVector(ReadOnlySpan<float> vector, int dimension, string name, PreferenceRecordExtras? extras)
    {
        if (vector.Length != dimension)
        {
            throw Error(PreferenceDataError.DimensionMismatch, $"{name} has dimension {vector.Length}, expected {dimension}", extras);
        }

        for (var i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw Error(PreferenceDataError.NonFiniteValue, $"{name}[{i}] is {vector[i]} (NaN and Infinity are not allowed)", extras);
            }
        }
    }

    private void CheckNamedValues(IReadOnlyDictionary<string, double>? values, string name, PreferenceRecordExtras? extras)
    {
        if (values is null)
        {
            return;
        }

        foreach (var (key, value) in values)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw Error(PreferenceDataError.InvalidValue, $"{name} has an empty objective name", extras);
            }

            if (!double.IsFinite(value) || !float.IsFinite((float)value))
            {
                throw Error(PreferenceDataError.NonFiniteValue, $"{name}.{key} is {value} (NaN and Infinity are not allowed)", extras);
            }
        }
    }
}

/// <summary>The optional parts of a preference record.</summary>
public sealed record PreferenceRecordExtras
{
    /// <summary>Example weight (default 1).</summary>
    public float? Weight { get; init; }

    /// <summary>Evaluation group label; training never reads it.</summary>
    public string? Group { get; init; }

    /// <summary>Per-objective ratings of the chosen response.</summary>
    public IReadOnlyDictionary<string, double>? ChosenAttributes { get; init; }

    /// <summary>Per-objective ratings of the rejected response.</summary>
    public IReadOnlyDictionary<string, double>? RejectedAttributes { get; init; }

    /// <summary>An explicit preference direction over named objectives, used when scoring.</summary>
    public IReadOnlyDictionary<string, double>? Direction { get; init; }

    /// <summary>The 0-based line of the record in its source file.</summary>
    public long? Line { get; init; }

    /// <summary>The prompt text, kept for display.</summary>
    public string? PromptText { get; init; }

    /// <summary>The chosen response text, kept for display.</summary>
    public string? ChosenText { get; init; }

    /// <summary>The rejected response text, kept for display.</summary>
    public string? RejectedText { get; init; }
}
