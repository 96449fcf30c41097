namespace Pluralistic.Data;

/// <summary>What kind of problem a line of a ratings or items file has.</summary>
public enum RatingsDataError
{
    /// <summary>The file cannot be read, or is not valid text in its encoding.</summary>
    Unreadable,

    /// <summary>The line cannot be split into fields: a bad quote, the wrong number of columns, or invalid JSON.</summary>
    MalformedLine,

    /// <summary>The header (or the JSON object) lacks a column the options name.</summary>
    MissingColumn,

    /// <summary>The user id is missing, empty or too long.</summary>
    InvalidUserId,

    /// <summary>The line has neither an item id nor an item text.</summary>
    MissingItem,

    /// <summary>The item id is not in the items file.</summary>
    UnknownItem,

    /// <summary>The rating is missing or not a number.</summary>
    InvalidRating,

    /// <summary>The rating (or a numeric item field) is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>The same user rated the same item twice (within the same prompt or conversation).</summary>
    DuplicateRating,

    /// <summary>A line of the items file is invalid (an empty or repeated id, an empty text, a bad field value).</summary>
    InvalidItem,

    /// <summary>The file holds no valid line.</summary>
    Empty,
}

/// <summary>
/// A ratings or items file is invalid. The message starts with where the problem is: <c>file, line N, column C
/// (name): problem</c> for delimited files and <c>file, line N, key 'name': problem</c> for JSONL.
/// </summary>
public sealed class InvalidRatingsDataException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">The kind of problem.</param>
    /// <param name="problem">The problem, without location.</param>
    /// <param name="sourcePath">The file.</param>
    /// <param name="lineNumber">The 1-based line number, when the problem is on one line.</param>
    /// <param name="column">The 1-based column of a delimited file, when the problem is in one column.</param>
    /// <param name="columnName">The column's header name (or the JSON key), when known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public InvalidRatingsDataException(
        RatingsDataError error,
        string problem,
        string sourcePath,
        long? lineNumber = null,
        int? column = null,
        string? columnName = null,
        Exception? innerException = null)
        : base(Format(problem, sourcePath, lineNumber, column, columnName), innerException)
    {
        Error = error;
        Problem = problem;
        SourcePath = sourcePath;
        LineNumber = lineNumber;
        Column = column;
        ColumnName = columnName;
    }

    /// <summary>The kind of problem.</summary>
    public RatingsDataError Error { get; }

    /// <summary>The problem, without location.</summary>
    public string Problem { get; }

    /// <summary>The file.</summary>
    public string SourcePath { get; }

    /// <summary>The 1-based line number, when the problem is on one line.</summary>
    public long? LineNumber { get; }

    /// <summary>The 1-based column of a delimited file, when the problem is in one column.</summary>
    public int? Column { get; }

    /// <summary>The column's header name or the JSON key, when known.</summary>
    public string? ColumnName { get; }

    private static string Format(string problem, string path, long? line, int? column, string? columnName)
    {
        var where = Path.GetFileName(path);
        if (line is { } l)
        {
            where += $", line {l}";
        }

        where += (column, columnName) switch
        {
            ({ } c, { } n) => $", column {c} ({n})",
            ({ } c, null) => $", column {c}",
            (null, { } n) => $", key '{n}'",
            _ => string.Empty,
        };
        return $"{where}: {problem}";
    }
}
