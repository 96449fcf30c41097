namespace Pluralistic;

/// <summary>What kind of problem a preference record or dataset has.</summary>
public enum PreferenceDataError
{
    /// <summary>The line is not valid JSON, or not a JSON object.</summary>
    InvalidJson,

    /// <summary>The record lacks a complete chosen/rejected pair (as text or as vectors).</summary>
    MissingPair,

    /// <summary>A number is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>A vector's length differs from the others of its kind.</summary>
    DimensionMismatch,

    /// <summary>The user id is missing, empty or too long.</summary>
    InvalidUserId,

    /// <summary>The file or dataset holds no records.</summary>
    Empty,

    /// <summary>A field has the wrong type or an out-of-range value.</summary>
    InvalidValue,

    /// <summary>Prompt vectors are on some records but not on others.</summary>
    InconsistentPrompts,

    /// <summary>A record has text but no vectors, and no embedding generator is configured.</summary>
    TextWithoutEmbeddings,

    /// <summary>The file cannot be read.</summary>
    Unreadable,

    /// <summary>The data is valid but too small for what was asked (too few users, or too few pairs per user).</summary>
    InsufficientData,
}

/// <summary>
/// A preference record or dataset is invalid. When the data came from a file, <see cref="SourcePath"/> and
/// <see cref="LineNumber"/> say where; the message always names the problem.
/// </summary>
public sealed class InvalidPreferenceDataException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">The kind of problem.</param>
    /// <param name="problem">The problem, without location.</param>
    /// <param name="sourcePath">The file, when known.</param>
    /// <param name="lineNumber">The 1-based line number, when known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public InvalidPreferenceDataException(
        PreferenceDataError error,
        string problem,
        string? sourcePath = null,
        long? lineNumber = null,
        Exception? innerException = null)
        : base(Format(problem, sourcePath, lineNumber), innerException)
    {
        Error = error;
        Problem = problem;
        SourcePath = sourcePath;
        LineNumber = lineNumber;
    }

    /// <summary>The kind of problem.</summary>
    public PreferenceDataError Error { get; }

    /// <summary>The problem, without location.</summary>
    public string Problem { get; }

    /// <summary>The file the record came from, when known.</summary>
    public string? SourcePath { get; }

    /// <summary>The 1-based line number in <see cref="SourcePath"/>, when known.</summary>
    public long? LineNumber { get; }

    private static string Format(string problem, string? path, long? line)
    {
        var where = (path, line) switch
        {
            ({ } p, { } l) => $"{Path.GetFileName(p)}, line {l}: ",
            ({ } p, null) => $"{Path.GetFileName(p)}: ",
            (null, { } l) => $"line {l}: ",
            _ => string.Empty,
        };
        return where + problem;
    }
}
