using System.Globalization;
using System.Text.Json;

namespace Pluralistic.Data;

/// <summary>One valid line of a ratings file.</summary>
/// <param name="Line">The 1-based line number.</param>
/// <param name="UserId">Who rated.</param>
/// <param name="ItemId">The item's id, when the file has an item column.</param>
/// <param name="Text">The item's text, when the file has a text column and the line a value.</param>
/// <param name="Rating">The rating (finite).</param>
/// <param name="Prompt">The prompt the item answers, when the file has prompts.</param>
/// <param name="Conversation">The conversation the rating belongs to, when the file has conversation ids.</param>
public readonly record struct RatingRow(long Line, string UserId, string? ItemId, string? Text, double Rating, string? Prompt, string? Conversation);

/// <summary>
/// Streams the lines of a ratings file (CSV, TSV or JSONL): one rating of one item by one user, optionally within a
/// prompt or conversation. Every invalid line is an <see cref="InvalidRatingsDataException"/> naming the file, the
/// line and the column.
/// </summary>
public static class RatingsReader
{
    /// <summary>Reads every line, failing on the first invalid one.</summary>
    /// <param name="path">The ratings file.</param>
    /// <param name="options">Where the fields are; defaults when <see langword="null"/>.</param>
    /// <returns>The ratings in file order.</returns>
    /// <exception cref="InvalidRatingsDataException">A line is invalid, or the header lacks a column the options name.</exception>
    public static IEnumerable<RatingRow> Read(string path, RatingsFileOptions? options = null)
    {
        using var source = RatingsSource.Open(path, options ?? new RatingsFileOptions());
        foreach (var line in source.Lines())
        {
            if (line.Error is not null)
            {
                throw line.Error;
            }

            yield return line.Row;
        }
    }

    /// <summary>The format a ratings file will be read as (<see cref="RatingsFileFormat.Auto"/> resolved).</summary>
    /// <param name="path">The ratings file.</param>
    /// <param name="options">The options (their format, when not automatic, wins).</param>
    /// <returns>CSV, TSV or JSONL.</returns>
    public static RatingsFileFormat DetectFormat(string path, RatingsFileOptions? options = null) =>
        RatingsSource.Resolve(path, options ?? new RatingsFileOptions()).Format;
}

/// <summary>A line of a ratings file: the rating, or why the line is invalid.</summary>
internal readonly record struct RatingLine(RatingRow Row, InvalidRatingsDataException? Error);

/// <summary>Where a field is, for errors found after reading (an unknown item, a duplicate rating).</summary>
/// <param name="Column">The 1-based column of a delimited file; <see langword="null"/> for JSONL.</param>
/// <param name="Name">The column's name or the JSON key.</param>
internal readonly record struct FieldLocation(int? Column, string Name);

/// <summary>An open ratings file with its columns resolved.</summary>
internal abstract class RatingsSource : IDisposable
{
    protected RatingsSource(string path, RatingsFileOptions options, RatingsFileFormat format)
    {
        Path = path;
        Options = options;
        Format = format;
    }

    public string Path { get; }

    public RatingsFileFormat Format { get; }

    /// <summary>Where item ids are (or item texts, when the file has no item column).</summary>
    public abstract FieldLocation Item { get; }

    protected RatingsFileOptions Options { get; }

    public static RatingsSource Open(string path, RatingsFileOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options.Validate();
        var (format, separator) = Resolve(path, options);
        if (format == RatingsFileFormat.Jsonl && options.ColumnNames is not null)
        {
            throw new ArgumentException($"{System.IO.Path.GetFileName(path)} is JSONL, whose keys name its fields: column names are for headerless CSV/TSV files");
        }

        return format == RatingsFileFormat.Jsonl
            ? new JsonlRatingsSource(path, options)
            : new DelimitedRatingsSource(path, options, format, separator);
    }

    public static (RatingsFileFormat Format, char Separator) Resolve(string path, RatingsFileOptions options)
    {
        var (format, separator) = options.Format switch
        {
            RatingsFileFormat.Csv => (RatingsFileFormat.Csv, ','),
            RatingsFileFormat.Tsv => (RatingsFileFormat.Tsv, '\t'),
            RatingsFileFormat.Jsonl => (RatingsFileFormat.Jsonl, '\0'),
            _ => RatingsText.Detect(path, RatingsText.StrictUtf8) switch
            {
                (true, _) => (RatingsFileFormat.Jsonl, '\0'),
                (false, '\t') => (RatingsFileFormat.Tsv, '\t'),
                (false, var s) => (RatingsFileFormat.Csv, s),
            },
        };
        return (format, options.Separator ?? separator);
    }

    public abstract IEnumerable<RatingLine> Lines();

    public abstract void Dispose();

    /// <summary>Checks one line's values and makes the rating (shared by every format).</summary>
    protected RatingLine Make(long line, RawRating raw)
    {
        InvalidRatingsDataException Fail(RatingsDataError error, string problem, FieldLocation where) =>
            new(error, problem, Path, line, where.Column, where.Name);

        if (raw.User is null || string.IsNullOrWhiteSpace(raw.User))
        {
            return new(default, Fail(RatingsDataError.InvalidUserId, "the user id is empty", raw.UserAt));
        }

        var user = raw.User.Trim();
        if (UserId.Validate(user) is { } userProblem)
        {
            return new(default, Fail(RatingsDataError.InvalidUserId, userProblem, raw.UserAt));
        }

        var item = string.IsNullOrWhiteSpace(raw.Item) ? null : raw.Item.Trim();
        var text = string.IsNullOrWhiteSpace(raw.Text) ? null : raw.Text;
        if (item is null && text is null)
        {
            var problem = (raw.HasItemField, raw.HasTextField) switch
            {
                (true, true) => "the item id and the item text are both empty",
                (true, false) => "the item id is empty",
                (false, true) => "the item text is empty",
                _ => "the line has neither an item id nor an item text",
            };
            return new(default, Fail(RatingsDataError.MissingItem, problem, raw.ItemAt));
        }

        if (raw.RatingProblem is not null)
        {
            return new(default, Fail(RatingsDataError.InvalidRating, raw.RatingProblem, raw.RatingAt));
        }

        double rating;
        if (raw.RatingNumber is { } number)
        {
            rating = number;
        }
        else if (string.IsNullOrWhiteSpace(raw.Rating))
        {
            return new(default, Fail(RatingsDataError.InvalidRating, "the rating is empty", raw.RatingAt));
        }
        else if (!double.TryParse(raw.Rating.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out rating))
        {
            return new(default, Fail(RatingsDataError.InvalidRating, $"'{Shorten(raw.Rating)}' is not a number", raw.RatingAt));
        }

        if (!double.IsFinite(rating))
        {
            return new(default, Fail(RatingsDataError.NonFiniteValue, "the rating is NaN or infinite", raw.RatingAt));
        }

        var prompt = string.IsNullOrWhiteSpace(raw.Prompt) ? null : raw.Prompt;
        var conversation = string.IsNullOrWhiteSpace(raw.Conversation) ? null : raw.Conversation.Trim();
        return new(new RatingRow(line, user, item, text, rating, prompt, conversation), null);
    }

    protected static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";

    /// <summary>One line's values before checking.</summary>
    protected sealed class RawRating
    {
        public string? User { get; set; }

        public string? Item { get; set; }

        public bool HasItemField { get; set; }

        public bool HasTextField { get; set; }

        public string? Text { get; set; }

        public string? Rating { get; set; }

        public double? RatingNumber { get; set; }

        public string? RatingProblem { get; set; }

        public string? Prompt { get; set; }

        public string? Conversation { get; set; }

        public FieldLocation UserAt { get; set; }

        public FieldLocation ItemAt { get; set; }

        public FieldLocation RatingAt { get; set; }
    }
}

/// <summary>A CSV or TSV ratings file.</summary>
internal sealed class DelimitedRatingsSource : RatingsSource
{
    private readonly DelimitedReader _reader;
    private readonly int[] _wanted;
    private readonly FieldLocation _user;
    private readonly FieldLocation _rating;
    private readonly FieldLocation _item;
    private readonly int _itemSlot;
    private readonly int _textSlot;
    private readonly int _promptSlot;
    private readonly int _conversationSlot;

    public DelimitedRatingsSource(string path, RatingsFileOptions options, RatingsFileFormat format, char separator)
        : base(path, options, format)
    {
        _reader = DelimitedReader.Open(path, separator, options.ColumnNames, RatingsText.StrictUtf8);
        try
        {
            var wanted = new List<int>();
            int Slot(string? name, string fallback, bool required)
            {
                var index = _reader.IndexOf(name ?? fallback);
                if (index < 0)
                {
                    if (required || name is not null)
                    {
                        throw MissingColumn(name ?? fallback);
                    }

                    return -1;
                }

                wanted.Add(index);
                return wanted.Count - 1;
            }

            Slot(options.UserColumn, options.UserColumn, required: true);
            Slot(options.RatingColumn, options.RatingColumn, required: true);
            _itemSlot = Slot(options.ItemColumn, RatingsFileOptions.DefaultItemColumn, required: false);
            _textSlot = Slot(options.TextColumn, RatingsFileOptions.DefaultTextColumn, required: false);
            _promptSlot = Slot(options.PromptColumn, RatingsFileOptions.DefaultPromptColumn, required: false);
            _conversationSlot = Slot(options.ConversationColumn, RatingsFileOptions.DefaultConversationColumn, required: false);
            if (_itemSlot < 0 && _textSlot < 0)
            {
                throw MissingColumn(
                    $"{RatingsFileOptions.DefaultItemColumn}' or '{RatingsFileOptions.DefaultTextColumn}",
                    "an item id or item text column (name it with the item or text column option)");
            }

            _wanted = [.. wanted];
            _user = At(0);
            _rating = At(1);
            _item = At(_itemSlot >= 0 ? _itemSlot : _textSlot);
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    public override FieldLocation Item => _item;

    public override IEnumerable<RatingLine> Lines()
    {
        var raw = new RawRating { UserAt = _user, RatingAt = _rating, ItemAt = _item, HasItemField = _itemSlot >= 0, HasTextField = _textSlot >= 0 };
        foreach (var line in _reader.Read(_wanted))
        {
            if (line.Error is not null)
            {
                yield return new(default, line.Error);
                continue;
            }

            var values = line.Values!;
            raw.User = values[0];
            raw.Rating = values[1];
            raw.Item = _itemSlot >= 0 ? values[_itemSlot] : null;
            raw.Text = _textSlot >= 0 ? values[_textSlot] : null;
            raw.Prompt = _promptSlot >= 0 ? values[_promptSlot] : null;
            raw.Conversation = _conversationSlot >= 0 ? values[_conversationSlot] : null;
            yield return Make(line.Line, raw);
        }
    }

    public override void Dispose() => _reader.Dispose();

    private FieldLocation At(int slot) => new(_wanted[slot] + 1, _reader.Header[_wanted[slot]]);

    private InvalidRatingsDataException MissingColumn(string name, string? what = null)
    {
        var where = _reader.HasHeaderLine ? "the header has" : "the column names given have";
        return new InvalidRatingsDataException(
            RatingsDataError.MissingColumn,
            $"{where} no column '{name}'{(what is null ? string.Empty : $" ({what})")}; columns: {string.Join(", ", _reader.Header)}",
            Path,
            _reader.HasHeaderLine ? 1 : null);
    }
}

/// <summary>A JSONL ratings file: one object per line; ids may be strings or numbers.</summary>
internal sealed class JsonlRatingsSource : RatingsSource
{
    private readonly string _userKey;
    private readonly string _ratingKey;
    private readonly string _itemKey;
    private readonly string _textKey;
    private readonly string _promptKey;
    private readonly string _conversationKey;

    public JsonlRatingsSource(string path, RatingsFileOptions options)
        : base(path, options, RatingsFileFormat.Jsonl)
    {
        _userKey = options.UserColumn;
        _ratingKey = options.RatingColumn;
        _itemKey = options.ItemColumn ?? RatingsFileOptions.DefaultItemColumn;
        _textKey = options.TextColumn ?? RatingsFileOptions.DefaultTextColumn;
        _promptKey = options.PromptColumn ?? RatingsFileOptions.DefaultPromptColumn;
        _conversationKey = options.ConversationColumn ?? RatingsFileOptions.DefaultConversationColumn;
    }

    public override FieldLocation Item => new(null, Options.ItemColumn is null && Options.TextColumn is not null ? _textKey : _itemKey);

    public override IEnumerable<RatingLine> Lines() => RatingsText.Lines(Path, RatingsText.StrictUtf8).Select(l => Parse(l.Line, l.Text));

    public override void Dispose()
    {
        // Each call of Lines opens and closes the file.
    }

    private RatingLine Parse(long line, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            var problem = text.Contains("NaN", StringComparison.Ordinal) || text.Contains("Infinity", StringComparison.Ordinal)
                ? "invalid JSON (NaN and Infinity are not JSON numbers)"
                : $"invalid JSON ({ex.Message.Split(". ")[0].TrimEnd('.')})";
            return new(default, new InvalidRatingsDataException(RatingsDataError.MalformedLine, problem, Path, line, innerException: ex));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new(default, new InvalidRatingsDataException(RatingsDataError.MalformedLine, "expected a JSON object", Path, line));
            }

            var raw = new RawRating
            {
                UserAt = new(null, _userKey),
                RatingAt = new(null, _ratingKey),
                ItemAt = new(null, _itemKey),
            };
            var seen = new bool[6];
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var slot = Slot(property.Name);
                if (slot < 0)
                {
                    continue;
                }

                seen[slot] = true;
                if (slot == 1)
                {
                    ReadRating(property.Value, raw);
                    continue;
                }

                if (Scalar(property.Value) is not { } value)
                {
                    if (property.Value.ValueKind is JsonValueKind.Null)
                    {
                        continue;
                    }

                    var error = slot switch
                    {
                        0 => RatingsDataError.InvalidUserId,
                        2 or 3 => RatingsDataError.MissingItem,
                        _ => RatingsDataError.MalformedLine,
                    };
                    return new(default, new InvalidRatingsDataException(
                        error,
                        $"expected a string or a number, found {property.Value.ValueKind.ToString().ToLowerInvariant()}",
                        Path,
                        line,
                        columnName: property.Name));
                }

                switch (slot)
                {
                    case 0: raw.User = value; break;
                    case 2: raw.Item = value; raw.HasItemField = true; break;
                    case 3: raw.Text = value; raw.HasTextField = true; break;
                    case 4: raw.Prompt = value; break;
                    default: raw.Conversation = value; break;
                }
            }

            // Keys named explicitly must be on every line; the default optional ones may be absent.
            var required = new (int Slot, string Key, bool Required)[]
            {
                (0, _userKey, true), (1, _ratingKey, true), (2, _itemKey, Options.ItemColumn is not null), (3, _textKey, Options.TextColumn is not null),
                (4, _promptKey, Options.PromptColumn is not null), (5, _conversationKey, Options.ConversationColumn is not null),
            };
            foreach (var (slot, key, isRequired) in required)
            {
                if (isRequired && !seen[slot])
                {
                    return new(default, new InvalidRatingsDataException(RatingsDataError.MissingColumn, $"the object has no key '{key}'", Path, line, columnName: key));
                }
            }

            if (!raw.HasItemField)
            {
                raw.ItemAt = new(null, _textKey);
            }

            return Make(line, raw);
        }
    }

    private int Slot(string name) =>
        Is(name, _userKey) ? 0
        : Is(name, _ratingKey) ? 1
        : Is(name, _itemKey) ? 2
        : Is(name, _textKey) ? 3
        : Is(name, _promptKey) ? 4
        : Is(name, _conversationKey) ? 5
        : -1;

    private static bool Is(string name, string key) => string.Equals(name, key, StringComparison.OrdinalIgnoreCase);

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    private static void ReadRating(JsonElement value, RawRating raw)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                // A literal beyond double's range is not finite: the check after reading names it.
                raw.RatingNumber = value.TryGetDouble(out var number) ? number : double.PositiveInfinity;
                break;
            case JsonValueKind.String:
                raw.Rating = value.GetString();
                break;
            case JsonValueKind.Null:
                break;
            default:
                raw.RatingProblem = $"the rating must be a number, found {value.ValueKind.ToString().ToLowerInvariant()}";
                break;
        }
    }
}
