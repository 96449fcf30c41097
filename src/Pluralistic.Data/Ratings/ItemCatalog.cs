using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Pluralistic.Data;

/// <summary>How one block of an item vector encodes its field (written as <c>multi_hot</c>, <c>one_hot</c>, <c>buckets</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ItemVectorBlockKind>))]
public enum ItemVectorBlockKind
{
    /// <summary>A list field: 1 for every value the item has, 0 elsewhere.</summary>
    [JsonStringEnumMemberName("multi_hot")]
    MultiHot,

    /// <summary>A categorical field: 1 for the item's value.</summary>
    [JsonStringEnumMemberName("one_hot")]
    OneHot,

    /// <summary>A numeric field: 1 for the equal-frequency bucket the value falls in; all 0 when the value is missing.</summary>
    [JsonStringEnumMemberName("buckets")]
    Buckets,
}

/// <summary>One block of the item vectors: which field fills which dimensions, and what each dimension means.</summary>
/// <param name="Field">The field.</param>
/// <param name="Kind">How the field is encoded.</param>
/// <param name="Offset">The block's first dimension.</param>
/// <param name="Labels">What each dimension of the block means (a value, or a bucket's range such as <c>[1990, 1995)</c>).</param>
public sealed record ItemVectorBlock(string Field, ItemVectorBlockKind Kind, int Offset, IReadOnlyList<string> Labels)
{
    /// <summary>The number of dimensions of the block.</summary>
    public int Length => Labels.Count;
}

/// <summary>One item of an items file.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Text">
/// The item as text: the text column, followed by its list and categorical fields (<c>Title (1995). Genres: Action,
/// Comedy</c>); <see langword="null"/> when the file has no text.
/// </param>
/// <param name="Vector">The item's field vector (see <see cref="ItemCatalog.VectorLayout"/>); <see langword="null"/> when the file has no fields.</param>
public sealed record CatalogItem(string Id, string? Text, float[]? Vector);

/// <summary>
/// The items of an items file (CSV, TSV, JSONL, or MovieLens 100k's <c>u.item</c>): each id's text and field vector.
/// Vectors concatenate, in this order, a multi-hot block per list field, a one-hot block per categorical field and a
/// one-hot bucket block per numeric field (equal-frequency buckets over the file's items).
/// </summary>
public sealed partial class ItemCatalog
{
    /// <summary>The genre names of MovieLens 100k, used when no <c>u.genre</c> lies beside <c>u.item</c>.</summary>
    public static readonly IReadOnlyList<string> MovieLensGenres =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    private readonly Dictionary<string, CatalogItem> _items;

    private ItemCatalog(string path, Dictionary<string, CatalogItem> items, IReadOnlyList<ItemVectorBlock> layout, bool hasText, IReadOnlyList<InvalidRatingsDataException> skipped)
    {
        SourcePath = path;
        _items = items;
        VectorLayout = layout;
        VectorDimension = layout.Sum(b => b.Length);
        HasText = hasText;
        Skipped = skipped;
    }

    /// <summary>The items file.</summary>
    public string SourcePath { get; }

    /// <summary>The number of items.</summary>
    public int Count => _items.Count;

    /// <summary>The blocks of the item vectors, in order.</summary>
    public IReadOnlyList<ItemVectorBlock> VectorLayout { get; }

    /// <summary>The length of the item vectors (0 when the file has no fields).</summary>
    public int VectorDimension { get; }

    /// <summary>Whether the items have text.</summary>
    public bool HasText { get; }

    /// <summary>The invalid lines skipped while loading (empty unless skipping was asked for).</summary>
    public IReadOnlyList<InvalidRatingsDataException> Skipped { get; }

    /// <summary>Loads an items file, failing on the first invalid line.</summary>
    /// <param name="path">The items file.</param>
    /// <param name="options">Its layout; defaults when <see langword="null"/>.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="InvalidRatingsDataException">A line is invalid, a named column is missing, or the file holds no item.</exception>
    public static ItemCatalog Load(string path, ItemsFileOptions? options = null) => Load(path, options ?? new ItemsFileOptions(), skipInvalid: false);

    /// <summary>Looks an item up by id.</summary>
    /// <param name="id">The item id.</param>
    /// <param name="item">The item, when found.</param>
    /// <returns>Whether the id is in the catalog.</returns>
    public bool TryGet(string id, [MaybeNullWhen(false)] out CatalogItem item) => _items.TryGetValue(id, out item);

    internal static ItemCatalog Load(string path, ItemsFileOptions options, bool skipInvalid)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options.Validate();
        var skipped = new List<InvalidRatingsDataException>();
        void Reject(InvalidRatingsDataException error)
        {
            if (!skipInvalid)
            {
                throw error;
            }

            skipped.Add(error);
        }

        var encoding = options.Encoding ?? (options.Format == ItemsFileFormat.MovieLens ? Encoding.Latin1 : RatingsText.StrictUtf8);
        var format = options.Format;
        var separator = options.Separator;
        if (format == ItemsFileFormat.Auto)
        {
            var (jsonl, detected) = RatingsText.Detect(path, encoding);
            format = jsonl ? ItemsFileFormat.Jsonl : detected == '\t' ? ItemsFileFormat.Tsv : ItemsFileFormat.Csv;
            separator ??= jsonl ? null : detected;
        }

        var source = format switch
        {
            ItemsFileFormat.MovieLens => ReadMovieLens(path, encoding, Reject),
            ItemsFileFormat.Jsonl => ReadJsonl(path, options, encoding, Reject),
            _ => ReadDelimited(path, options, separator ?? (format == ItemsFileFormat.Tsv ? '\t' : ','), encoding, Reject),
        };

        var rows = new List<RawItem>();
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var row in source.Rows)
        {
            if (firstLine.TryGetValue(row.Id, out var first))
            {
                Reject(new InvalidRatingsDataException(RatingsDataError.InvalidItem, $"item id '{row.Id}' is repeated (first on line {first})", path, row.Line, source.IdAt.Column, source.IdAt.Name));
                continue;
            }

            firstLine[row.Id] = row.Line;
            rows.Add(row);
        }

        if (rows.Count == 0)
        {
            var problem = skipped.Count > 0 ? $"the file holds no valid item ({skipped.Count} invalid lines skipped)" : "the file holds no item";
            throw new InvalidRatingsDataException(RatingsDataError.Empty, problem, path);
        }

        var layout = Layout(source.Fields, rows, options.NumericBuckets);
        var items = new Dictionary<string, CatalogItem>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            items[row.Id] = new CatalogItem(row.Id, Describe(row, source), Vector(row, source.Fields, layout));
        }

        return new ItemCatalog(path, items, layout, source.HasTextProbe?.Invoke() ?? source.HasText, skipped);
    }

    private static string? Describe(RawItem row, ItemsSource source)
    {
        if (row.Text is null)
        {
            return null;
        }

        var text = new StringBuilder(row.Text.Trim());
        if (source.YearField is { } year && row.Numbers[year] is { } value)
        {
            if (!TitleYear().IsMatch(row.Text))
            {
                var written = value.ToString(CultureInfo.InvariantCulture);
                text.Append(" (").Append(written).Append(')');
            }
        }

        for (var f = 0; f < source.Fields.Count; f++)
        {
            if (source.Fields[f].Kind == ItemVectorBlockKind.Buckets || row.Values[f] is not { Length: > 0 } values)
            {
                continue;
            }

            text.Append(". ").Append(Label(source.Fields[f].Name)).Append(": ").Append(string.Join(", ", values));
        }

        return text.ToString();
    }

    private static string Label(string field)
    {
        var words = field.Replace('_', ' ').Trim();
        return words.Length == 0 ? words : char.ToUpperInvariant(words[0]) + words[1..];
    }

    private static List<ItemVectorBlock> Layout(IReadOnlyList<ItemField> fields, List<RawItem> rows, int buckets)
    {
        var layout = new List<ItemVectorBlock>();
        var offset = 0;
        for (var f = 0; f < fields.Count; f++)
        {
            var field = fields[f];
            IReadOnlyList<string> labels;
            if (field.Kind == ItemVectorBlockKind.Buckets)
            {
                var values = rows.Select(r => r.Numbers[f]).OfType<double>().Order().ToArray();
                field.Edges = Edges(values, buckets);
                labels = BucketLabels(field.Edges);
            }
            else
            {
                // A fixed vocabulary (MovieLens genres) keeps its order; otherwise the values seen, in ordinal order.
                labels = field.Vocabulary ?? rows.SelectMany(r => r.Values[f] ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                field.Index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
            }

            layout.Add(new ItemVectorBlock(field.Name, field.Kind, offset, labels));
            offset += labels.Count;
        }

        return layout;
    }

    /// <summary>Equal-frequency bucket edges: a value v falls in bucket (number of edges &lt;= v).</summary>
    private static double[] Edges(double[] sorted, int buckets)
    {
        var edges = new List<double>();
        for (var k = 1; k < buckets && sorted.Length > 0; k++)
        {
            var edge = sorted[(int)((long)k * sorted.Length / buckets)];
            if (edge > sorted[0] && (edges.Count == 0 || edge > edges[^1]))
            {
                edges.Add(edge);
            }
        }

        return [.. edges];
    }

    private static string[] BucketLabels(double[] edges)
    {
        static string F(double v) => v.ToString("G", CultureInfo.InvariantCulture);
        if (edges.Length == 0)
        {
            return ["all"];
        }

        var labels = new string[edges.Length + 1];
        labels[0] = $"< {F(edges[0])}";
        for (var i = 1; i < edges.Length; i++)
        {
            labels[i] = $"[{F(edges[i - 1])}, {F(edges[i])})";
        }

        labels[^1] = $">= {F(edges[^1])}";
        return labels;
    }

    private static float[]? Vector(RawItem row, IReadOnlyList<ItemField> fields, List<ItemVectorBlock> layout)
    {
        if (layout.Count == 0)
        {
            return null;
        }

        var vector = new float[layout.Sum(b => b.Length)];
        for (var f = 0; f < fields.Count; f++)
        {
            var offset = layout[f].Offset;
            if (fields[f].Kind == ItemVectorBlockKind.Buckets)
            {
                if (row.Numbers[f] is { } value)
                {
                    var bucket = 0;
                    while (bucket < fields[f].Edges!.Length && fields[f].Edges![bucket] <= value)
                    {
                        bucket++;
                    }

                    vector[offset + bucket] = 1;
                }

                continue;
            }

            foreach (var value in row.Values[f] ?? [])
            {
                vector[offset + fields[f].Index![value]] = 1;
            }
        }

        return vector;
    }

    private static ItemsSource ReadDelimited(string path, ItemsFileOptions options, char separator, Encoding encoding, Action<InvalidRatingsDataException> reject)
    {
        var reader = DelimitedReader.Open(path, separator, columnNames: null, encoding);
        try
        {
            int Require(string name)
            {
                var index = reader.IndexOf(name);
                // A MovieLens u.item read as CSV shows up as one pipe-joined column: say what it probably is.
                var hint = reader.Header.Count == 1 && reader.Header[0].Contains('|', StringComparison.Ordinal)
                    ? " (a MovieLens u.item? read it with the MovieLens items format)"
                    : string.Empty;
                return index >= 0
                    ? index
                    : throw new InvalidRatingsDataException(RatingsDataError.MissingColumn, $"the header has no column '{name}'{hint}; columns: {string.Join(", ", reader.Header)}", path, 1);
            }

            var wanted = new List<int> { Require(options.IdColumn) };
            var textIndex = options.TextColumn is { } named ? Require(named) : reader.IndexOf(ItemsFileOptions.DefaultTextColumn);
            if (textIndex >= 0)
            {
                wanted.Add(textIndex);
            }

            var fields = Fields(options);
            foreach (var field in fields)
            {
                wanted.Add(Require(field.Name));
            }

            var at = wanted.Select(i => new FieldLocation(i + 1, reader.Header[i])).ToArray();
            return new ItemsSource(fields, textIndex >= 0, at[0], Rows());

            IEnumerable<RawItem> Rows()
            {
                using (reader)
                {
                    foreach (var line in reader.Read(wanted))
                    {
                        if (line.Error is not null)
                        {
                            reject(line.Error);
                            continue;
                        }

                        var values = line.Values!;
                        var item = new RawItem(line.Line, values[0].Trim(), textIndex >= 0 ? values[1] : null, fields.Count);
                        var first = textIndex >= 0 ? 2 : 1;
                        var error = CheckId(item, path, at[0]) ?? CheckText(item, textIndex >= 0, path, textIndex >= 0 ? at[1] : default);
                        for (var f = 0; f < fields.Count && error is null; f++)
                        {
                            error = fields[f].Kind switch
                            {
                                ItemVectorBlockKind.MultiHot => SetList(item, f, values[first + f].Split(options.ListSeparator)),
                                ItemVectorBlockKind.OneHot => SetCategory(item, f, values[first + f]),
                                _ => SetNumber(item, f, values[first + f]),
                            } is { } problem ? Invalid(problem, path, line.Line, at[first + f]) : null;
                        }

                        if (error is not null)
                        {
                            reject(error);
                            continue;
                        }

                        yield return item;
                    }
                }
            }
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static ItemsSource ReadJsonl(string path, ItemsFileOptions options, Encoding encoding, Action<InvalidRatingsDataException> reject)
    {
        var fields = Fields(options);
        var textKey = options.TextColumn ?? ItemsFileOptions.DefaultTextColumn;
        var hasText = false;
        var idAt = new FieldLocation(null, options.IdColumn);
        // Whether the items have text is known once read; the caller reads the rows before asking.
        return new ItemsSource(fields, HasText: false, idAt, Rows()) { HasTextProbe = () => hasText };

        IEnumerable<RawItem> Rows()
        {
            foreach (var (lineNumber, line) in RatingsText.Lines(path, encoding))
            {
                var (item, error) = ParseJsonItem(line, lineNumber, path, options, fields, textKey);
                if (error is not null)
                {
                    reject(error);
                    continue;
                }

                hasText |= item!.Text is not null;
                yield return item;
            }
        }
    }

    private static (RawItem? Item, InvalidRatingsDataException? Error) ParseJsonItem(
        string line, long lineNumber, string path, ItemsFileOptions options, List<ItemField> fields, string textKey)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            return (null, new InvalidRatingsDataException(RatingsDataError.MalformedLine, $"invalid JSON ({ex.Message.Split(". ")[0].TrimEnd('.')})", path, lineNumber, innerException: ex));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, new InvalidRatingsDataException(RatingsDataError.MalformedLine, "expected a JSON object", path, lineNumber));
            }

            JsonElement? Get(string key)
            {
                foreach (var property in root.EnumerateObject())
                {
                    if (string.Equals(property.Name, key, StringComparison.OrdinalIgnoreCase))
                    {
                        return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
                    }
                }

                return null;
            }

            InvalidRatingsDataException Fail(string problem, string key) => new(RatingsDataError.InvalidItem, problem, path, lineNumber, columnName: key);

            var id = Get(options.IdColumn) is { } idValue ? Scalar(idValue) : null;
            var textValue = Get(textKey);
            if (options.TextColumn is not null && textValue is null)
            {
                return (null, new InvalidRatingsDataException(RatingsDataError.MissingColumn, $"the object has no key '{textKey}'", path, lineNumber, columnName: textKey));
            }

            var item = new RawItem(lineNumber, id?.Trim() ?? string.Empty, textValue is { } t ? Scalar(t) ?? string.Empty : null, fields.Count);
            var error = CheckId(item, path, new(null, options.IdColumn)) ?? CheckText(item, textValue is not null, path, new(null, textKey));
            if (error is not null)
            {
                return (null, error);
            }

            for (var f = 0; f < fields.Count; f++)
            {
                var value = Get(fields[f].Name);
                string? problem;
                if (value is not { } v)
                {
                    problem = null;
                }
                else if (fields[f].Kind == ItemVectorBlockKind.MultiHot)
                {
                    problem = v.ValueKind == JsonValueKind.Array
                        ? v.EnumerateArray().Select(Scalar).ToArray() is var list && list.Any(x => x is null)
                            ? "a list field holds only strings or numbers"
                            : SetList(item, f, list!)
                        : Scalar(v) is { } joined ? SetList(item, f, joined.Split(options.ListSeparator)) : "expected a list";
                }
                else if (Scalar(v) is { } scalar)
                {
                    problem = fields[f].Kind == ItemVectorBlockKind.OneHot ? SetCategory(item, f, scalar) : SetNumber(item, f, scalar);
                }
                else
                {
                    problem = $"expected a string or a number, found {v.ValueKind.ToString().ToLowerInvariant()}";
                }

                if (problem is not null)
                {
                    return (null, Fail(problem, fields[f].Name));
                }
            }

            return (item, null);
        }
    }

    private static ItemsSource ReadMovieLens(string path, Encoding encoding, Action<InvalidRatingsDataException> reject)
    {
        var genres = MovieLensGenreNames(path, encoding);
        var fields = new List<ItemField> { new("genres", ItemVectorBlockKind.MultiHot) { Vocabulary = genres }, new("year", ItemVectorBlockKind.Buckets) };
        string[] columns = ["movie id", "movie title", "release date", "video release date", "IMDb URL", .. genres];
        return new ItemsSource(fields, HasText: true, new FieldLocation(1, columns[0]), Rows()) { YearField = 1 };

        IEnumerable<RawItem> Rows()
        {
            foreach (var (lineNumber, line) in RatingsText.Lines(path, encoding))
            {
                // u.item has no quoting: a title may hold any character but '|'.
                var parts = line.Split('|');
                InvalidRatingsDataException Fail(string problem, int column) =>
                    new(RatingsDataError.InvalidItem, problem, path, lineNumber, column + 1, columns[column]);

                if (parts.Length != columns.Length)
                {
                    reject(new InvalidRatingsDataException(
                        RatingsDataError.MalformedLine,
                        $"expected {columns.Length} fields separated by '|' (id, title, release date, video release date, IMDb URL and {genres.Count} genre flags), found {parts.Length}",
                        path,
                        lineNumber));
                    continue;
                }

                var item = new RawItem(lineNumber, parts[0].Trim(), parts[1], fields.Count);
                var error = CheckId(item, path, new(1, columns[0])) ?? CheckText(item, hasText: true, path, new(2, columns[1]));
                var date = parts[2].Trim();
                if (error is null && date.Length > 0)
                {
                    error = date.Length >= 4 && int.TryParse(date.AsSpan(date.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
                        ? SetNumber(item, 1, year.ToString(CultureInfo.InvariantCulture)) is { } p ? Fail(p, 2) : null
                        : Fail($"'{date}' is not a date ending in a year (dd-Mon-yyyy)", 2);
                }

                var itemGenres = new List<string>();
                for (var g = 0; g < genres.Count && error is null; g++)
                {
                    switch (parts[5 + g].Trim())
                    {
                        case "1":
                            itemGenres.Add(genres[g]);
                            break;
                        case "0":
                            break;
                        default:
                            error = Fail($"a genre flag is 0 or 1, found '{parts[5 + g]}'", 5 + g);
                            break;
                    }
                }

                if (error is not null)
                {
                    reject(error);
                    continue;
                }

                item.Values[0] = [.. itemGenres];
                yield return item;
            }
        }
    }

    /// <summary>The genre names from <c>u.genre</c> beside <c>u.item</c> (<c>name|index</c> lines), else the 100k release's.</summary>
    private static IReadOnlyList<string> MovieLensGenreNames(string itemsPath, Encoding encoding)
    {
        var genrePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(itemsPath))!, "u.genre");
        if (!File.Exists(genrePath))
        {
            return MovieLensGenres;
        }

        var names = new List<string>();
        foreach (var (lineNumber, line) in RatingsText.Lines(genrePath, encoding))
        {
            var parts = line.Split('|');
            if (parts.Length != 2 || parts[0].Trim().Length == 0
                || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index != names.Count)
            {
                throw new InvalidRatingsDataException(RatingsDataError.MalformedLine, $"expected 'name|{names.Count}' (genres listed in index order)", genrePath, lineNumber);
            }

            names.Add(parts[0].Trim());
        }

        return names.Count > 0 ? names : throw new InvalidRatingsDataException(RatingsDataError.Empty, "the file names no genre", genrePath);
    }

    private static List<ItemField> Fields(ItemsFileOptions options) =>
    [
        .. options.ListFields.Select(f => new ItemField(f, ItemVectorBlockKind.MultiHot)),
        .. options.CategoryFields.Select(f => new ItemField(f, ItemVectorBlockKind.OneHot)),
        .. options.NumericFields.Select(f => new ItemField(f, ItemVectorBlockKind.Buckets)),
    ];

    private static InvalidRatingsDataException? CheckId(RawItem item, string path, FieldLocation at) =>
        item.Id.Length == 0 ? Invalid("the item id is empty", path, item.Line, at) : null;

    private static InvalidRatingsDataException? CheckText(RawItem item, bool hasText, string path, FieldLocation at) =>
        hasText && string.IsNullOrWhiteSpace(item.Text) ? Invalid("the item text is empty", path, item.Line, at) : null;

    private static InvalidRatingsDataException Invalid(string problem, string path, long line, FieldLocation at) =>
        new(RatingsDataError.InvalidItem, problem, path, line, at.Column, at.Name);

    private static string? SetList(RawItem item, int field, IEnumerable<string> values)
    {
        item.Values[field] = values.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        return null;
    }

    private static string? SetCategory(RawItem item, int field, string value)
    {
        var trimmed = value.Trim();
        item.Values[field] = trimmed.Length == 0 ? [] : [trimmed];
        return null;
    }

    private static string? SetNumber(RawItem item, int field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return $"'{value}' is not a number";
        }

        if (!double.IsFinite(number))
        {
            return "the value is NaN or infinite";
        }

        item.Numbers[field] = number;
        return null;
    }

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    /// <summary>A year in parentheses, as MovieLens titles carry it.</summary>
    [GeneratedRegex(@"\(\d{4}\)")]
    private static partial Regex TitleYear();

    /// <summary>One field of the items and, once read, its vocabulary or bucket edges.</summary>
    private sealed class ItemField(string name, ItemVectorBlockKind kind)
    {
        public string Name { get; } = name;

        public ItemVectorBlockKind Kind { get; } = kind;

        public IReadOnlyList<string>? Vocabulary { get; init; }

        public Dictionary<string, int>? Index { get; set; }

        public double[]? Edges { get; set; }
    }

    /// <summary>One line of an items file, before its vector is built.</summary>
    private sealed class RawItem(long line, string id, string? text, int fields)
    {
        public long Line { get; } = line;

        public string Id { get; } = id;

        public string? Text { get; } = text;

        public string[]?[] Values { get; } = new string[]?[fields];

        public double?[] Numbers { get; } = new double?[fields];
    }

    /// <summary>The fields of an items file and a lazy stream of its valid lines.</summary>
    private sealed record ItemsSource(List<ItemField> Fields, bool HasText, FieldLocation IdAt, IEnumerable<RawItem> Rows)
    {
        /// <summary>The numeric field holding a year that the text names when the title lacks it (MovieLens).</summary>
        public int? YearField { get; init; }

        /// <summary>For JSONL: whether any item had text, known after the rows were read.</summary>
        public Func<bool>? HasTextProbe { get; init; }
    }
}
