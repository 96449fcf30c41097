using System.Text.Json.Serialization;

namespace Pluralistic.Data;

/// <summary>What an import read, wrote and dropped (written as <c>import_summary.json</c> beside a split).</summary>
public sealed record RatingsImportSummary
{
    /// <summary>The ratings file.</summary>
    public required string RatingsFile { get; init; }

    /// <summary>The items file, when one was given.</summary>
    public string? ItemsFile { get; init; }

    /// <summary>The output file, or the directory of a split.</summary>
    public required string Output { get; init; }

    /// <summary>The ratings file's format as read: <c>csv</c>, <c>tsv</c> or <c>jsonl</c>.</summary>
    public required string Format { get; init; }

    /// <summary>Valid ratings used (after invalid lines and repeated ratings were dropped).</summary>
    public long Ratings { get; init; }

    /// <summary>Distinct users among the valid ratings.</summary>
    public int Users { get; init; }

    /// <summary>Distinct items among the valid ratings.</summary>
    public int Items { get; init; }

    /// <summary>Distinct prompts or conversations (0 when the ratings have none).</summary>
    public int Prompts { get; init; }

    /// <summary>Items in the items file (0 when none was given).</summary>
    public int CatalogItems { get; init; }

    /// <summary>Lines of the ratings file skipped as invalid (with skipping on), including unknown items and repeated ratings.</summary>
    public long InvalidLines { get; init; }

    /// <summary>Skipped ratings lines by reason (snake_case names of <see cref="RatingsDataError"/>).</summary>
    public IReadOnlyDictionary<string, long> InvalidLinesByReason { get; init; } = new Dictionary<string, long>();

    /// <summary>The first skipped line's error, when any.</summary>
    public string? FirstInvalidLine { get; init; }

    /// <summary>Lines of the items file skipped as invalid.</summary>
    public long InvalidItemLines { get; init; }

    /// <summary>Preference records written, over every file.</summary>
    public long Pairs { get; init; }

    /// <summary>Users with at least one record written.</summary>
    public int UsersWithPairs { get; init; }

    /// <summary>The files written.</summary>
    public IReadOnlyList<RatingsImportFile> Files { get; init; } = [];

    /// <summary>What was left out, and why.</summary>
    public required RatingsImportDrops Dropped { get; init; }

    /// <summary>Whether records carry the items' text (<c>chosen</c>/<c>rejected</c>).</summary>
    public bool Text { get; init; }

    /// <summary>The length of <c>chosen_embedding</c>/<c>rejected_embedding</c> (0 when vectors were not written).</summary>
    public int VectorDimension { get; init; }

    /// <summary>What each block of the vectors encodes (empty when vectors were not written).</summary>
    public IReadOnlyList<ItemVectorBlock> VectorLayout { get; init; } = [];

    /// <summary>The margin used.</summary>
    public double Margin { get; init; }

    /// <summary>The per-user, per-file cap used (0: none).</summary>
    public int MaxPairsPerUser { get; init; }

    /// <summary>The seed used.</summary>
    public int Seed { get; init; }

    /// <summary>The split used; <see langword="null"/> for a single file.</summary>
    public RatingsSplitSummary? Split { get; init; }
}

/// <summary>One written file.</summary>
/// <param name="Name">The file name (<c>train.jsonl</c>, ...), or the output file's name.</param>
/// <param name="Users">Users with records in it.</param>
/// <param name="Records">Records in it.</param>
public sealed record RatingsImportFile(string Name, int Users, long Records);

/// <summary>What an import left out, and why.</summary>
public sealed record RatingsImportDrops
{
    /// <summary>Pairs of ratings (of one user, within one prompt) that differ by less than the margin.</summary>
    public long TiePairs { get; init; }

    /// <summary>Valid pairs not sampled because of the per-user cap (an unseen user's context part counts here too).</summary>
    public long CappedPairs { get; init; }

    /// <summary>Users with fewer than two valid ratings.</summary>
    public int UsersTooFewRatings { get; init; }

    /// <summary>Users with two or more ratings whose ratings gave no pair (all ties, or too few items on each side of their split).</summary>
    public int UsersWithoutPairs { get; init; }

    /// <summary>Valid pairs that would join a training item with a held-out item, or a context item with a query item: never formed.</summary>
    public long PairsAcrossSplit { get; init; }

    /// <summary>
    /// Ratings left out of a seen user's held-out (or an unseen user's query) conversations because the same item was
    /// rated in their training (context) conversations.
    /// </summary>
    public long SharedItemRatings { get; init; }

    /// <summary>Users picked as unseen whose ratings could not give the context pairs and a query pair over disjoint items.</summary>
    public int UnseenUsersDropped { get; init; }
}

/// <summary>The split of an import.</summary>
/// <param name="SeenUsers">Users in <c>train.jsonl</c> (and <c>test_seen.jsonl</c>).</param>
/// <param name="UnseenUsers">Users in <c>test_unseen.jsonl</c>.</param>
/// <param name="HeldOutFraction">The fraction of each seen user's items (or conversations) held out.</param>
/// <param name="ContextPairs">Context pairs opening each unseen user's records.</param>
public sealed record RatingsSplitSummary(int SeenUsers, int UnseenUsers, double HeldOutFraction, int ContextPairs);

/// <summary>Progress of an import.</summary>
/// <param name="Phase"><c>reading</c> (lines read) or <c>writing</c> (users done).</param>
/// <param name="Done">Lines or users done.</param>
/// <param name="Total">Users in all, while writing; <see langword="null"/> while reading.</param>
public sealed record RatingsImportProgress(string Phase, long Done, long? Total);

/// <summary>Source-generated JSON for import summaries and the extension values of imported records.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(RatingsImportSummary))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double))]
internal sealed partial class RatingsJsonContext : JsonSerializerContext;
