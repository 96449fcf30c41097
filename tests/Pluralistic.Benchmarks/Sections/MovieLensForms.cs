using System.Globalization;
using Pluralistic.Data;
using Pluralistic.Experiments;
using Pluralistic.Text.MiniLM;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// MovieLens 100k from a local copy turned into one of the real-data sections' shapes, as <c>pluralistic import
/// ratings</c> and <c>pluralistic compare</c> do it: the ratings imported as pairs (items as genre + year vectors or as
/// text through the MiniLM sentence encoder, optionally capped per user), then compare's user-level, item-disjoint split.
/// </summary>
internal static class MovieLensForms
{
    /// <summary>
    /// Runs a real-data section's measurement with a scratch folder for the converted files, deleted afterwards; without
    /// a MovieLens 100k copy (<c>u.data</c> and <c>u.item</c> under <c>--real-data</c>) returns the note that says so.
    /// </summary>
    /// <param name="context">The benchmark's context.</param>
    /// <param name="measure">The measurement, given the scratch folder; returns the section's markdown.</param>
    /// <returns>The section's markdown.</returns>
    public static async Task<string> MeasureAsync(BenchmarkContext context, Func<DirectoryInfo, Task<string>> measure)
    {
        var folder = context.RealDataDirectory;
        if (folder is null || !File.Exists(Path.Combine(folder, "u.data")) || !File.Exists(Path.Combine(folder, "u.item")))
        {
            return "Skipped: no local MovieLens 100k copy. Run with `--real-data DIR`, DIR holding `u.data` and `u.item` (GroupLens' licence forbids redistributing the data, so the repository does not carry it).";
        }

        var work = Directory.CreateTempSubdirectory("pluralistic-real-");
        try
        {
            return await measure(work).ConfigureAwait(false);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The shape's name: <c>vectors</c>, <c>text</c> or <c>text-N</c>.</summary>
    /// <param name="vectors">Items as vectors instead of text.</param>
    /// <param name="maxPairsPerUser">The cap on pairs per user, or <see langword="null"/> for the importer's default.</param>
    /// <returns>The name.</returns>
    public static string Name(bool vectors, int? maxPairsPerUser) =>
        (vectors ? "vectors" : "text") + (maxPairsPerUser is { } cap ? string.Create(CultureInfo.InvariantCulture, $"-{cap}") : string.Empty);

    /// <summary>Imports, loads and splits one shape.</summary>
    /// <param name="context">The benchmark's context (quick mode keeps the first 150 users).</param>
    /// <param name="work">A scratch folder for the converted file.</param>
    /// <param name="vectors">Items as vectors instead of text.</param>
    /// <param name="maxPairsPerUser">The cap on pairs per user, or <see langword="null"/> for the importer's default.</param>
    /// <param name="seed">The seed of the import's pair sampling and of the split.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The split and the number of pairs loaded.</returns>
    public static async Task<(UserSplit Split, int Pairs)> LoadAsync(BenchmarkContext context, DirectoryInfo work, bool vectors, int? maxPairsPerUser, int seed, CancellationToken cancellationToken)
    {
        var folder = context.RealDataDirectory!;
        var form = Name(vectors, maxPairsPerUser);
        var file = Path.Combine(work.FullName, string.Create(CultureInfo.InvariantCulture, $"movielens-{form}.jsonl"));
        await RatingsImporter.ImportAsync(Path.Combine(folder, "u.data"), file, new RatingsImportOptions
        {
            Ratings = new RatingsFileOptions { ColumnNames = ["user_id", "item_id", "rating", "timestamp"] },
            ItemsPath = Path.Combine(folder, "u.item"),
            Items = new ItemsFileOptions { Format = ItemsFileFormat.MovieLens },
            WriteVectors = vectors,
            MaxPairsPerUser = maxPairsPerUser ?? RatingsImportOptions.DefaultMaxPairsPerUser,
            Seed = seed,
        }, null, cancellationToken).ConfigureAwait(false);
        if (context.Quick)
        {
            await KeepFirstUsersAsync(file, 150, cancellationToken).ConfigureAwait(false);
        }

        using var encoder = vectors ? null : new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 64 });
        var data = await PreferenceJsonl.LoadDatasetAsync(file, encoder, cancellationToken).ConfigureAwait(false);
        var items = await PreferenceJsonl.ReadItemsAsync(file, data, cancellationToken).ConfigureAwait(false);
        return (UserSplit.Create($"movielens-{form}.jsonl", data, items, new UserSplitOptions { Seed = seed }), data.Count);
    }

    private static async Task KeepFirstUsersAsync(string file, int users, CancellationToken cancellationToken)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (var line in await File.ReadAllLinesAsync(file, cancellationToken).ConfigureAwait(false))
        {
            var user = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("user_id").GetString()!;
            if (kept.Contains(user) || (kept.Count < users && kept.Add(user)))
            {
                lines.Add(line);
            }
        }

        await File.WriteAllLinesAsync(file, lines, cancellationToken).ConfigureAwait(false);
    }
}
