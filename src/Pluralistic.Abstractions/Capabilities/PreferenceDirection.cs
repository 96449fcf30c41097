using System.Globalization;

namespace Pluralistic;

/// <summary>
/// A unit direction over a model's named objectives: the reward it stands for is <c>direction . r(x)</c>, where
/// <c>r(x)</c> is the model's objective vector (see <see cref="IMultiObjectiveRewardModel"/>). Directions are built
/// from named weights, from an angle in the plane of two objectives, or by interpolating between two directions
/// (arithmetic control: "more helpful, less verbose" is a direction). Immutable.
/// </summary>
public sealed class PreferenceDirection : IEquatable<PreferenceDirection>
{
    private readonly string[] _objectives;
    private readonly double[] _weights;

    private PreferenceDirection(string[] objectives, double[] unitWeights)
    {
        _objectives = objectives;
        _weights = unitWeights;
    }

    /// <summary>The objectives, in the model's order.</summary>
    public IReadOnlyList<string> Objectives => _objectives;

    /// <summary>The unit-norm weight of each objective, aligned with <see cref="Objectives"/>.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>The weight of one objective.</summary>
    /// <param name="objective">The objective's name.</param>
    /// <exception cref="UnknownObjectiveException">The direction has no such objective.</exception>
    public double this[string objective] => _weights[IndexOf(_objectives, objective)];

    /// <summary>
    /// The direction of named weights, normalised to unit length. Objectives left out weigh 0; weights may be
    /// negative ("less verbose").
    /// </summary>
    /// <param name="objectives">The model's objectives, in order.</param>
    /// <param name="weights">Objective name to weight, for example <c>helpfulness = 1, verbosity = -0.5</c>.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="UnknownObjectiveException">A weight names an objective that is not in <paramref name="objectives"/>.</exception>
    /// <exception cref="ArgumentException">A weight is not finite, or every weight is 0.</exception>
    public static PreferenceDirection FromWeights(IReadOnlyList<string> objectives, IReadOnlyDictionary<string, double> weights)
    {
        var names = Names(objectives);
        ArgumentNullException.ThrowIfNull(weights);
        var vector = new double[names.Length];
        foreach (var (name, weight) in weights)
        {
            if (!double.IsFinite(weight))
            {
                throw new ArgumentException($"the weight of '{name}' is {weight}; weights must be finite", nameof(weights));
            }

            vector[IndexOf(names, name)] += weight;
        }

        return new PreferenceDirection(names, Normalize(vector, nameof(weights)));
    }

    /// <summary>The direction of a vector of weights aligned with <paramref name="objectives"/>, normalised to unit length.</summary>
    /// <param name="objectives">The model's objectives, in order.</param>
    /// <param name="vector">One weight per objective.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="ArgumentException">The lengths differ, a weight is not finite, or every weight is 0.</exception>
    public static PreferenceDirection FromVector(IReadOnlyList<string> objectives, IReadOnlyList<double> vector)
    {
        var names = Names(objectives);
        ArgumentNullException.ThrowIfNull(vector);
        if (vector.Count != names.Length)
        {
            throw new ArgumentException($"expected {names.Length} weights (one per objective), got {vector.Count}", nameof(vector));
        }

        if (vector.Any(w => !double.IsFinite(w)))
        {
            throw new ArgumentException("weights must be finite", nameof(vector));
        }

        return new PreferenceDirection(names, Normalize([.. vector], nameof(vector)));
    }

    /// <summary>The direction of a single objective.</summary>
    /// <param name="objectives">The model's objectives, in order.</param>
    /// <param name="objective">The objective to point along.</param>
    /// <returns>The unit vector of <paramref name="objective"/>.</returns>
    /// <exception cref="UnknownObjectiveException">The objective is not in <paramref name="objectives"/>.</exception>
    public static PreferenceDirection Along(IReadOnlyList<string> objectives, string objective) =>
        FromWeights(objectives, new Dictionary<string, double>(StringComparer.Ordinal) { [objective] = 1 });

    /// <summary>
    /// The direction at an angle in the plane of two objectives: <c>cos(angle) e_first + sin(angle) e_second</c>. 0
    /// degrees is <paramref name="first"/>, 90 is <paramref name="second"/>, -30 is "mostly first, a little against second".
    /// </summary>
    /// <param name="objectives">The model's objectives, in order.</param>
    /// <param name="first">The objective at 0 degrees.</param>
    /// <param name="second">The objective at 90 degrees.</param>
    /// <param name="degrees">The angle, in degrees.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="UnknownObjectiveException">An objective is not in <paramref name="objectives"/>.</exception>
    /// <exception cref="ArgumentException">The two objectives are the same, or the angle is not finite.</exception>
    public static PreferenceDirection FromAngle(IReadOnlyList<string> objectives, string first, string second, double degrees)
    {
        var names = Names(objectives);
        if (!double.IsFinite(degrees))
        {
            throw new ArgumentException($"the angle must be finite, not {degrees}", nameof(degrees));
        }

        var i = IndexOf(names, first);
        var j = IndexOf(names, second);
        if (i == j)
        {
            throw new ArgumentException($"an angle needs two different objectives, got '{first}' twice", nameof(second));
        }

        var radians = degrees * Math.PI / 180;
        var vector = new double[names.Length];
        vector[i] = Math.Cos(radians);
        vector[j] = Math.Sin(radians);
        return new PreferenceDirection(names, Normalize(vector, nameof(degrees)));
    }

    /// <summary>
    /// The direction a fraction <paramref name="t"/> of the way from <paramref name="from"/> to <paramref name="to"/>
    /// along the great circle (spherical interpolation): t = 0 is <paramref name="from"/>, 1 is <paramref name="to"/>,
    /// and equal steps of t turn the direction by equal angles.
    /// </summary>
    /// <param name="from">The start.</param>
    /// <param name="to">The end (over the same objectives).</param>
    /// <param name="t">The fraction; values outside [0, 1] extrapolate along the same circle.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="ArgumentException">
    /// The directions are over different objectives, or they are opposite (no unique great circle joins them), or
    /// <paramref name="t"/> is not finite.
    /// </exception>
    public static PreferenceDirection Interpolate(PreferenceDirection from, PreferenceDirection to, double t)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        RequireSameObjectives(from, to);
        if (!double.IsFinite(t))
        {
            throw new ArgumentException($"the fraction must be finite, not {t}", nameof(t));
        }

        var cosine = Math.Clamp(from.Cosine(to), -1, 1);
        var angle = Math.Acos(cosine);
        if (angle < 1e-9)
        {
            return from;
        }

        if (Math.PI - angle < 1e-6)
        {
            throw new ArgumentException("the directions are opposite: no unique great circle joins them; interpolate through a third direction", nameof(to));
        }

        var a = Math.Sin((1 - t) * angle) / Math.Sin(angle);
        var b = Math.Sin(t * angle) / Math.Sin(angle);
        var vector = new double[from._weights.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (a * from._weights[i]) + (b * to._weights[i]);
        }

        return new PreferenceDirection(from._objectives, Normalize(vector, nameof(t)));
    }

    /// <summary>The cosine between this direction and another over the same objectives.</summary>
    /// <param name="other">The other direction.</param>
    /// <returns>A value in [-1, 1].</returns>
    /// <exception cref="ArgumentException">The directions are over different objectives.</exception>
    public double Cosine(PreferenceDirection other)
    {
        ArgumentNullException.ThrowIfNull(other);
        RequireSameObjectives(this, other);
        double sum = 0;
        for (var i = 0; i < _weights.Length; i++)
        {
            sum += _weights[i] * other._weights[i];
        }

        return sum;
    }

    /// <summary>The angle between this direction and another over the same objectives, in degrees.</summary>
    /// <param name="other">The other direction.</param>
    /// <returns>A value in [0, 180].</returns>
    public double AngleDegrees(PreferenceDirection other) => Math.Acos(Math.Clamp(Cosine(other), -1, 1)) * 180 / Math.PI;

    /// <summary>
    /// The weights by name, for <see cref="ScoringOptions.Direction"/> and for the <c>direction</c> field of records.
    /// </summary>
    /// <returns>Objective name to unit-norm weight (every objective, including zeros).</returns>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var result = new Dictionary<string, double>(_objectives.Length, StringComparer.Ordinal);
        for (var i = 0; i < _objectives.Length; i++)
        {
            result[_objectives[i]] = _weights[i];
        }

        return result;
    }

    /// <summary>The weights as single-precision floats (a model's state vector).</summary>
    /// <returns>One float per objective.</returns>
    public float[] ToSingleArray() => _weights.Select(w => (float)w).ToArray();

    /// <summary>The direction in the command line's form, for example <c>helpfulness=0.894,verbosity=-0.447,safety=0</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Join(',', _objectives.Select((name, i) => $"{name}={_weights[i].ToString("0.###", CultureInfo.InvariantCulture)}"));

    /// <inheritdoc />
    public bool Equals(PreferenceDirection? other) =>
        other is not null && _objectives.SequenceEqual(other._objectives, StringComparer.Ordinal) && _weights.SequenceEqual(other._weights);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PreferenceDirection);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var name in _objectives)
        {
            hash.Add(name, StringComparer.Ordinal);
        }

        foreach (var w in _weights)
        {
            hash.Add(w);
        }

        return hash.ToHashCode();
    }

    private static string[] Names(IReadOnlyList<string> objectives)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        if (objectives.Count == 0)
        {
            throw new ArgumentException("a direction needs at least one objective", nameof(objectives));
        }

        var names = objectives.ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            throw new ArgumentException("objective names must be distinct", nameof(objectives));
        }

        return names;
    }

    private static int IndexOf(string[] objectives, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = Array.IndexOf(objectives, name);
        return index >= 0 ? index : throw new UnknownObjectiveException(name, objectives);
    }

    private static double[] Normalize(double[] vector, string parameter)
    {
        double norm = 0;
        foreach (var w in vector)
        {
            norm += w * w;
        }

        norm = Math.Sqrt(norm);
        if (!(norm > 0) || !double.IsFinite(norm))
        {
            throw new ArgumentException("a direction needs at least one non-zero weight", parameter);
        }

        return vector.Select(w => w / norm).ToArray();
    }

    private static void RequireSameObjectives(PreferenceDirection a, PreferenceDirection b)
    {
        if (!a._objectives.SequenceEqual(b._objectives, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"the directions are over different objectives ({string.Join(", ", a._objectives)} vs {string.Join(", ", b._objectives)})", nameof(b));
        }
    }
}
