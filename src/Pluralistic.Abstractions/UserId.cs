namespace Pluralistic;

/// <summary>
/// Identifies one user of a product: the person whose preferences a reward is personalised to.
/// </summary>
/// <remarks>A user id is a non-empty string of at most <see cref="MaxLength"/> characters; comparison is ordinal.</remarks>
public readonly record struct UserId : IComparable<UserId>
{
    /// <summary>The longest user id accepted, in UTF-16 characters.</summary>
    public const int MaxLength = 256;

    /// <summary>Creates a user id, validating it.</summary>
    /// <param name="value">The id; non-empty, not only white space, at most <see cref="MaxLength"/> characters.</param>
    /// <exception cref="ArgumentException">The id is empty, blank or too long.</exception>
    public UserId(string value)
    {
        var problem = Validate(value);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(value));
        }

        Value = value;
    }

    /// <summary>The id as text.</summary>
    public string Value { get; }

    /// <summary>Says what is wrong with a candidate user id, or <see langword="null"/> when it is valid.</summary>
    /// <param name="value">The candidate id.</param>
    /// <returns>A description of the problem, or <see langword="null"/>.</returns>
    public static string? Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "user_id is empty";
        }

        return value.Length > MaxLength ? $"user_id is longer than {MaxLength} characters ({value.Length})" : null;
    }

    /// <inheritdoc />
    public int CompareTo(UserId other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public bool Equals(UserId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => Value is null ? 0 : StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    /// <summary>Compares two ids ordinally.</summary>
    public static bool operator <(UserId left, UserId right) => left.CompareTo(right) < 0;

    /// <summary>Compares two ids ordinally.</summary>
    public static bool operator >(UserId left, UserId right) => left.CompareTo(right) > 0;

    /// <summary>Compares two ids ordinally.</summary>
    public static bool operator <=(UserId left, UserId right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two ids ordinally.</summary>
    public static bool operator >=(UserId left, UserId right) => left.CompareTo(right) >= 0;
}
