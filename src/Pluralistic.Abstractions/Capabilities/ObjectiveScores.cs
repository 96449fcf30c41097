namespace Pluralistic;

/// <summary>
/// The objective vector <c>r(x)</c> of M responses, row-major: <c>this[m, o]</c> is response m's score on objective
/// o. A direction's reward is <c>scale * direction . r(x)</c> (see <see cref="IMultiObjectiveRewardModel"/>).
/// </summary>
public sealed class ObjectiveScores
{
    private readonly float[] _values;

    /// <summary>Creates the scores.</summary>
    /// <param name="objectives">The K objectives, one per column.</param>
    /// <param name="responseCount">M.</param>
    /// <param name="values">Row-major M x K scores.</param>
    public ObjectiveScores(IReadOnlyList<string> objectives, int responseCount, float[] values)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(responseCount);
        if (values.Length != objectives.Count * responseCount)
        {
            throw new ArgumentException($"expected {responseCount} x {objectives.Count} values, got {values.Length}", nameof(values));
        }

        Objectives = objectives;
        ResponseCount = responseCount;
        _values = values;
    }

    /// <summary>The objectives, one per column.</summary>
    public IReadOnlyList<string> Objectives { get; }

    /// <summary>The number of responses (rows).</summary>
    public int ResponseCount { get; }

    /// <summary>All scores, row-major (responses x objectives).</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Response <paramref name="response"/>'s score on objective <paramref name="objective"/>.</summary>
    /// <param name="response">Row.</param>
    /// <param name="objective">Column.</param>
    public float this[int response, int objective] => _values[(response * Objectives.Count) + objective];

    /// <summary>The scores of every response on one objective (a column).</summary>
    /// <param name="objective">The objective's name.</param>
    /// <returns>M scores.</returns>
    /// <exception cref="UnknownObjectiveException">There is no such objective.</exception>
    public float[] ForObjective(string objective)
    {
        ArgumentNullException.ThrowIfNull(objective);
        var index = Objectives.ToList().IndexOf(objective);
        if (index < 0)
        {
            throw new UnknownObjectiveException(objective, Objectives);
        }

        var column = new float[ResponseCount];
        for (var m = 0; m < ResponseCount; m++)
        {
            column[m] = this[m, index];
        }

        return column;
    }

    /// <summary>One response's scores on every objective (a row).</summary>
    /// <param name="response">Row.</param>
    /// <returns>K scores.</returns>
    public float[] ForResponse(int response)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(response);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(response, ResponseCount);
        return _values.AsSpan(response * Objectives.Count, Objectives.Count).ToArray();
    }
}
