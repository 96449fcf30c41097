using System.Text;

namespace Pluralistic.Data;

/// <summary>The layout of a ratings file.</summary>
public enum RatingsFileFormat
{
    /// <summary>From the extension (<c>.csv</c>, <c>.tsv</c>/<c>.tab</c>, <c>.jsonl</c>/<c>.ndjson</c>/<c>.json</c>), else from the first line: <c>{</c> means JSONL, a tab means TSV, otherwise CSV.</summary>
    Auto,

    /// <summary>Comma-separated values (RFC 4180 quoting).</summary>
    Csv,

    /// <summary>Tab-separated values (the same quoting rules).</summary>
    Tsv,

    /// <summary>One JSON object per line.</summary>
    Jsonl,
}

/// <summary>The layout of an items file.</summary>
public enum ItemsFileFormat
{
    /// <summary>As for ratings files: from the extension, else from the first line.</summary>
    Auto,

    /// <summary>Comma-separated values with a header.</summary>
    Csv,

    /// <summary>Tab-separated values with a header.</summary>
    Tsv,

    /// <summary>One JSON object per line.</summary>
    Jsonl,

    /// <summary>
    /// MovieLens 100k's <c>u.item</c>: Latin-1, pipe-separated, no header, no quoting;
    /// <c>id|title|release date|video release date|IMDb URL|</c> then one 0/1 flag per genre. The genre names come from
    /// <c>u.genre</c> beside the file (<c>name|index</c> lines), else the 19 names of the 100k release.
    /// </summary>
    MovieLens,
}

/// <summary>Where the fields of a ratings file are. Column names match headers (and JSON keys) ignoring case.</summary>
public sealed record RatingsFileOptions
{
    /// <summary>The default user column.</summary>
    public const string DefaultUserColumn = "user_id";

    /// <summary>The default item id column (used when present).</summary>
    public const string DefaultItemColumn = "item_id";

    /// <summary>The default item text column (used when present).</summary>
    public const string DefaultTextColumn = "text";

    /// <summary>The default rating column.</summary>
    public const string DefaultRatingColumn = "rating";

    /// <summary>The default prompt column (used when present).</summary>
    public const string DefaultPromptColumn = "prompt";

    /// <summary>The default conversation column (used when present).</summary>
    public const string DefaultConversationColumn = "conversation_id";

    /// <summary>The file's layout. Default <see cref="RatingsFileFormat.Auto"/>.</summary>
    public RatingsFileFormat Format { get; init; } = RatingsFileFormat.Auto;

    /// <summary>A separator that overrides the format's (for example <c>';'</c> or <c>'|'</c>); delimited files only.</summary>
    public char? Separator { get; init; }

    /// <summary>
    /// The names of a headerless delimited file's columns, in order (for example MovieLens <c>u.data</c>:
    /// <c>user_id, item_id, rating, timestamp</c>). <see langword="null"/>: the first line is the header.
    /// </summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    /// <summary>The user column (required). Default <c>user_id</c>.</summary>
    public string UserColumn { get; init; } = DefaultUserColumn;

    /// <summary>The item id column. <see langword="null"/>: <c>item_id</c> when the file has it; a name given is required.</summary>
    public string? ItemColumn { get; init; }

    /// <summary>The item text column. <see langword="null"/>: <c>text</c> when the file has it; a name given is required.</summary>
    public string? TextColumn { get; init; }

    /// <summary>The rating column (required). Default <c>rating</c>.</summary>
    public string RatingColumn { get; init; } = DefaultRatingColumn;

    /// <summary>
    /// The prompt text column: pairs are formed only within one prompt, and the prompt is written with them.
    /// <see langword="null"/>: <c>prompt</c> when the file has it; a name given is required.
    /// </summary>
    public string? PromptColumn { get; init; }

    /// <summary>
    /// The conversation id column (PRISM-style: every reply rated in one conversation): pairs are formed only within one
    /// conversation, which is written as <c>conversation_id</c>. <see langword="null"/>: <c>conversation_id</c> when the
    /// file has it; a name given is required.
    /// </summary>
    public string? ConversationColumn { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        RatingsOptionChecks.ColumnName(UserColumn, nameof(UserColumn));
        RatingsOptionChecks.ColumnName(RatingColumn, nameof(RatingColumn));
        foreach (var (name, value) in new[] { (nameof(ItemColumn), ItemColumn), (nameof(TextColumn), TextColumn), (nameof(PromptColumn), PromptColumn), (nameof(ConversationColumn), ConversationColumn) })
        {
            if (value is not null)
            {
                RatingsOptionChecks.ColumnName(value, name);
            }
        }

        RatingsOptionChecks.Separator(Separator, nameof(Separator));
        if (ColumnNames is not null)
        {
            if (Format == RatingsFileFormat.Jsonl)
            {
                throw new ArgumentException("ColumnNames describe a headerless delimited file; a JSONL file names its keys", nameof(ColumnNames));
            }

            if (ColumnNames.Count == 0 || ColumnNames.Any(string.IsNullOrWhiteSpace))
            {
                throw new ArgumentException("ColumnNames must name every column (none empty)", nameof(ColumnNames));
            }
        }
    }
}

/// <summary>
/// An items file: maps item ids to a text and to categorical fields (lists such as genres, single categories, numbers
/// such as a year), from which item vectors are built.
/// </summary>
public sealed record ItemsFileOptions
{
    /// <summary>The default item id column.</summary>
    public const string DefaultIdColumn = "item_id";

    /// <summary>The default text column (used when present).</summary>
    public const string DefaultTextColumn = "text";

    /// <summary>The file's layout. Default <see cref="ItemsFileFormat.Auto"/>.</summary>
    public ItemsFileFormat Format { get; init; } = ItemsFileFormat.Auto;

    /// <summary>A separator that overrides the format's; CSV/TSV only.</summary>
    public char? Separator { get; init; }

    /// <summary>The item id column. Default <c>item_id</c>.</summary>
    public string IdColumn { get; init; } = DefaultIdColumn;

    /// <summary>The text column. <see langword="null"/>: <c>text</c> when the file has it; a name given is required.</summary>
    public string? TextColumn { get; init; }

    /// <summary>Fields whose value is a list (a JSON array, or values joined by <see cref="ListSeparator"/>): a multi-hot block.</summary>
    public IReadOnlyList<string> ListFields { get; init; } = [];

    /// <summary>Fields with one categorical value: a one-hot block over the values seen.</summary>
    public IReadOnlyList<string> CategoryFields { get; init; } = [];

    /// <summary>Numeric fields (such as a year): a one-hot block of <see cref="NumericBuckets"/> equal-frequency buckets.</summary>
    public IReadOnlyList<string> NumericFields { get; init; } = [];

    /// <summary>Joins the values of a list field in a delimited file. Default <c>'|'</c> (as in MovieLens' later <c>movies.csv</c>).</summary>
    public char ListSeparator { get; init; } = '|';

    /// <summary>Buckets per numeric field (fewer when values repeat). Default 8.</summary>
    public int NumericBuckets { get; init; } = 8;

    /// <summary>The file's encoding. <see langword="null"/>: UTF-8 (Latin-1 for <see cref="ItemsFileFormat.MovieLens"/>).</summary>
    public Encoding? Encoding { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        RatingsOptionChecks.ColumnName(IdColumn, nameof(IdColumn));
        if (TextColumn is not null)
        {
            RatingsOptionChecks.ColumnName(TextColumn, nameof(TextColumn));
        }

        RatingsOptionChecks.Separator(Separator, nameof(Separator));
        var fields = ListFields.Concat(CategoryFields).Concat(NumericFields).ToList();
        foreach (var field in fields)
        {
            RatingsOptionChecks.ColumnName(field, "a field");
        }

        if (fields.Distinct(StringComparer.OrdinalIgnoreCase).Count() != fields.Count)
        {
            throw new ArgumentException("a field is named more than once across ListFields, CategoryFields and NumericFields", nameof(ListFields));
        }

        if (Format == ItemsFileFormat.MovieLens && fields.Count > 0)
        {
            throw new ArgumentException("the MovieLens items format has fixed fields (genres, year); do not name fields", nameof(ListFields));
        }

        if (NumericBuckets < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumericBuckets), NumericBuckets, "NumericBuckets must be at least 1");
        }

        if (char.IsWhiteSpace(ListSeparator) && ListSeparator != '\t')
        {
            throw new ArgumentException("ListSeparator must not be a space", nameof(ListSeparator));
        }
    }
}

/// <summary>How an import splits users for evaluation (the layout <c>pluralistic generate</c> writes).</summary>
public sealed record RatingsSplitOptions
{
    /// <summary>Users held out of training: a number below 1 is a fraction of the users, otherwise a count. Default 0.2.</summary>
    public double UnseenUsers { get; init; } = 0.2;

    /// <summary>
    /// The fraction of each seen user's rated items (or conversations, when ratings have prompts) whose pairs are held out
    /// for <c>test_seen.jsonl</c>; the training pairs never touch them. Default 0.2.
    /// </summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>The number of context pairs that open each unseen user's records in <c>test_unseen.jsonl</c>. Default 10.</summary>
    public int ContextPairs { get; init; } = 10;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (!double.IsFinite(UnseenUsers) || UnseenUsers < 0 || (UnseenUsers >= 1 && UnseenUsers != Math.Floor(UnseenUsers)))
        {
            throw new ArgumentOutOfRangeException(nameof(UnseenUsers), UnseenUsers, "UnseenUsers must be a fraction in [0, 1) or a whole count");
        }

        if (!double.IsFinite(HeldOutFraction) || HeldOutFraction <= 0 || HeldOutFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(HeldOutFraction), HeldOutFraction, "HeldOutFraction must be in (0, 1)");
        }

        if (ContextPairs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ContextPairs), ContextPairs, "ContextPairs must be >= 0");
        }
    }
}

/// <summary>How <see cref="RatingsImporter"/> turns ratings into preference pairs (ML.NET-style options).</summary>
public sealed record RatingsImportOptions
{
    /// <summary>The default margin: one star on a 1-5 scale.</summary>
    public const double DefaultMargin = 1;

    /// <summary>The default cap on pairs per user and file.</summary>
    public const int DefaultMaxPairsPerUser = 100;

    /// <summary>Where the fields of the ratings file are.</summary>
    public RatingsFileOptions Ratings { get; init; } = new();

    /// <summary>An items file mapping item ids to text and fields; <see langword="null"/> when none.</summary>
    public string? ItemsPath { get; init; }

    /// <summary>The items file's layout (used when <see cref="ItemsPath"/> is set).</summary>
    public ItemsFileOptions Items { get; init; } = new();

    /// <summary>
    /// Two ratings of one user form a pair only when they differ by at least this much (smaller differences are ties
    /// and are dropped); the higher rating is chosen. Default 1.
    /// </summary>
    public double Margin { get; init; } = DefaultMargin;

    /// <summary>
    /// At most this many pairs per user in each written file, sampled uniformly (by seed) from every pair the user's
    /// ratings allow, without listing them all. 0: every pair. Default 100.
    /// </summary>
    public int MaxPairsPerUser { get; init; } = DefaultMaxPairsPerUser;

    /// <summary>Seed of every random choice (pair sampling, split). The same input and seed give byte-identical output.</summary>
    public int Seed { get; init; }

    /// <summary>Also write <c>chosen_embedding</c>/<c>rejected_embedding</c>: the items' field vectors (needs an items file with fields).</summary>
    public bool WriteVectors { get; init; }

    /// <summary>Skip invalid lines (counted in the summary) instead of failing on the first. Default false.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Split users into seen, held-out and unseen files in an output directory; <see langword="null"/>: one output file.</summary>
    public RatingsSplitOptions? Split { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Ratings);
        ArgumentNullException.ThrowIfNull(Items);
        Ratings.Validate();
        Items.Validate();
        Split?.Validate();
        if (!double.IsFinite(Margin) || Margin <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Margin), Margin, "Margin must be finite and > 0 (equal ratings never make a pair)");
        }

        if (MaxPairsPerUser < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPairsPerUser), MaxPairsPerUser, "MaxPairsPerUser must be >= 0 (0: no cap)");
        }

        if (WriteVectors && ItemsPath is null)
        {
            throw new ArgumentException("WriteVectors needs an items file with list, category or numeric fields (ItemsPath)", nameof(WriteVectors));
        }
    }
}

/// <summary>Checks shared by the ratings options.</summary>
internal static class RatingsOptionChecks
{
    public static void ColumnName(string? name, string option)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"{option} must name a column", option);
        }
    }

    public static void Separator(char? separator, string option)
    {
        if (separator is { } c && (c == '"' || c == '\n' || c == '\r'))
        {
            throw new ArgumentException("a separator cannot be a quote or a line break", option);
        }
    }
}
