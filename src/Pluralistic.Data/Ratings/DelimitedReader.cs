using System.Text;
using nietras.SeparatedValues;

namespace Pluralistic.Data;

/// <summary>One line of a delimited file: the wanted columns' values, or why the line is invalid.</summary>
/// <param name="Line">The 1-based line the record starts on.</param>
/// <param name="Values">The wanted columns' unescaped values, in the order asked for.</param>
/// <param name="Error">Why the line is invalid; <see cref="Values"/> is then <see langword="null"/>.</param>
internal readonly record struct DelimitedLine(long Line, string[]? Values, InvalidRatingsDataException? Error);

/// <summary>
/// Reads a CSV/TSV file: Sep splits records (separators and line breaks inside quotes included); every field is then
/// checked against RFC 4180's quoting rules and unescaped here, so a stray or unclosed quote is an error that names
/// its line and column instead of silently swallowing the rest of the file. Blank lines are skipped but counted.
/// </summary>
internal sealed class DelimitedReader : IDisposable
{
    private readonly string _path;
    private readonly TextReader _text;
    private readonly SepReader _reader;
    private readonly char _separator;
    private bool _firstRowRead;

    private DelimitedReader(string path, TextReader text, char separator, IReadOnlyList<string>? columnNames)
    {
        _path = path;
        _text = text;
        _separator = separator;
        // The header is read here rather than by Sep, whose headerless mode misnumbers the first record's line.
        try
        {
            // Sep reads its first block here.
            _reader = Sep.Reader(o => o with { HasHeader = false, Sep = new Sep(separator), DisableColCountCheck = true, Unescape = false }).From(text);
        }
        catch (DecoderFallbackException ex)
        {
            throw RatingsText.NotText(path, ex);
        }

        if (columnNames is not null)
        {
            Header = columnNames;
            HasHeaderLine = false;
            return;
        }

        foreach (var line in ReadLines())
        {
            if (line.Error is not null)
            {
                throw line.Error;
            }

            Header = line.Values!.Select(v => v.Trim()).ToArray();
            HasHeaderLine = true;
            return;
        }

        throw new InvalidRatingsDataException(RatingsDataError.Empty, "the file is empty (no header line)", path);
    }

    /// <summary>The column names: the header line's, or the names given for a headerless file.</summary>
    public IReadOnlyList<string> Header { get; private set; } = [];

    /// <summary>Whether the names came from the file's first line.</summary>
    public bool HasHeaderLine { get; }

    /// <summary>The file, for error messages.</summary>
    public string Path => _path;

    /// <summary>Opens a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="separator">The field separator.</param>
    /// <param name="columnNames">The columns of a headerless file; <see langword="null"/> when the first line is the header.</param>
    /// <param name="encoding">The text encoding (decoding errors are reported, not replaced).</param>
    /// <returns>The reader, positioned after the header.</returns>
    public static DelimitedReader Open(string path, char separator, IReadOnlyList<string>? columnNames, Encoding encoding)
    {
        var text = RatingsText.OpenText(path, encoding);
        try
        {
            return new DelimitedReader(path, text, separator, columnNames);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>The index of a column by name (ignoring case), or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Header.Count; i++)
        {
            if (string.Equals(Header[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Streams the data lines with the values of the columns asked for.</summary>
    /// <param name="wanted">0-based column indices.</param>
    /// <returns>The lines, in file order.</returns>
    public IEnumerable<DelimitedLine> Read(IReadOnlyList<int> wanted)
    {
        foreach (var line in ReadLines())
        {
            if (line.Error is not null)
            {
                yield return line;
                continue;
            }

            var all = line.Values!;
            if (all.Length != Header.Count)
            {
                var columns = string.Join(", ", Header);
                yield return new DelimitedLine(line.Line, null, new InvalidRatingsDataException(
                    RatingsDataError.MalformedLine,
                    $"expected {Header.Count} columns ({columns}) separated by '{Describe(_separator)}', found {all.Length}",
                    _path,
                    line.Line));
                continue;
            }

            var values = new string[wanted.Count];
            for (var i = 0; i < wanted.Count; i++)
            {
                values[i] = all[wanted[i]];
            }

            yield return new DelimitedLine(line.Line, values, null);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _reader.Dispose();
        _text.Dispose();
    }

    private static string Describe(char separator) => separator == '\t' ? "\\t" : separator.ToString();

    private IEnumerable<DelimitedLine> ReadLines()
    {
        while (true)
        {
            bool more;
            InvalidRatingsDataException? unreadable = null;
            try
            {
                more = _reader.MoveNext();
            }
            catch (DecoderFallbackException ex)
            {
                unreadable = RatingsText.NotText(_path, ex);
                more = false;
            }

            if (unreadable is not null)
            {
                throw unreadable;
            }

            if (!more)
            {
                yield break;
            }

            var line = Split(_reader.Current);
            if (line is { } value)
            {
                yield return value;
            }
        }
    }

    /// <summary>Checks and unescapes every field of a record; <see langword="null"/> for a blank line.</summary>
    private DelimitedLine? Split(SepReader.Row row)
    {
        // Sep numbers the lines of a headerless read from 2; the first record always starts on line 1.
        long line = _firstRowRead ? row.LineNumberFrom : 1;
        _firstRowRead = true;
        if (row.ColCount == 1 && row[0].Span.IsWhiteSpace())
        {
            return null;
        }

        var values = new string[row.ColCount];
        for (var i = 0; i < row.ColCount; i++)
        {
            var problem = Unescape(row[i].Span, out values[i]);
            if (problem is not null)
            {
                var name = i < Header.Count ? Header[i] : null;
                return new DelimitedLine(line, null, new InvalidRatingsDataException(RatingsDataError.MalformedLine, problem, _path, line, i + 1, name));
            }
        }

        return new DelimitedLine(line, values, null);
    }

    /// <summary>RFC 4180: a field is either free of quotes, or wholly quoted with inner quotes doubled.</summary>
    private static string? Unescape(ReadOnlySpan<char> raw, out string value)
    {
        var quoted = raw.Trim(' ');
        if (quoted.Length == 0 || quoted[0] != '"')
        {
            value = raw.ToString();
            return raw.Contains('"')
                ? "a quote inside an unquoted field (quote the whole field and double the quotes inside it)"
                : null;
        }

        var builder = new StringBuilder(quoted.Length);
        for (var i = 1; i < quoted.Length; i++)
        {
            if (quoted[i] != '"')
            {
                builder.Append(quoted[i]);
                continue;
            }

            if (i + 1 < quoted.Length && quoted[i + 1] == '"')
            {
                builder.Append('"');
                i++;
                continue;
            }

            value = builder.ToString();
            return i == quoted.Length - 1
                ? null
                : "text after the closing quote of a quoted field (a quote inside a quoted field is written twice: \"\")";
        }

        value = string.Empty;
        return "a quoted field is never closed (a closing quote is missing)";
    }
}

/// <summary>Opening ratings and items files as text.</summary>
internal static class RatingsText
{
    /// <summary>Strict UTF-8: invalid bytes are an error, never replaced.</summary>
    public static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static StreamReader OpenText(string path, Encoding encoding)
    {
        try
        {
            return new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), encoding, detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidRatingsDataException(RatingsDataError.Unreadable, $"cannot read the file: {ex.Message}", path, innerException: ex);
        }
    }

    public static InvalidRatingsDataException NotText(string path, DecoderFallbackException ex) =>
        new(RatingsDataError.Unreadable, "the file is not valid UTF-8 (save it as UTF-8, or name an items file's encoding)", path, innerException: ex);

    /// <summary>Streams the lines that are not blank, with their 1-based numbers (blank lines still count).</summary>
    public static IEnumerable<(long Line, string Text)> Lines(string path, Encoding encoding)
    {
        using var reader = OpenText(path, encoding);
        long number = 0;
        while (true)
        {
            string? text;
            try
            {
                text = reader.ReadLine();
            }
            catch (DecoderFallbackException ex)
            {
                throw new InvalidRatingsDataException(RatingsDataError.Unreadable, NotText(path, ex).Problem, path, number + 1, innerException: ex);
            }

            if (text is null)
            {
                yield break;
            }

            number++;
            if (!string.IsNullOrWhiteSpace(text))
            {
                yield return (number, text);
            }
        }
    }

    /// <summary>The first line that is not blank, to sniff a file's format; <see langword="null"/> for an empty file.</summary>
    public static string? FirstLine(string path, Encoding encoding) => Lines(path, encoding).Select(l => l.Text).FirstOrDefault();

    /// <summary>Detects a file's layout: from the extension, else from its first line.</summary>
    public static (bool Jsonl, char Separator) Detect(string path, Encoding encoding)
    {
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        switch (extension)
        {
            case ".csv":
                return (false, ',');
            case ".tsv" or ".tab":
                return (false, '\t');
            case ".jsonl" or ".ndjson" or ".json":
                return (true, '\0');
        }

        var first = FirstLine(path, encoding);
        return first switch
        {
            null => (false, ','),
            _ when first.TrimStart().StartsWith('{') => (true, '\0'),
            _ when first.Contains('\t', StringComparison.Ordinal) => (false, '\t'),
            _ => (false, ','),
        };
    }
}
