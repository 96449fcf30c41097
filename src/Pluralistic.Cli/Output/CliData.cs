using Microsoft.Extensions.AI;
using Pluralistic.Data;
using Pluralistic.Runs;
using Pluralistic.Text;
using Spectre.Console;

namespace Pluralistic.Cli.Output;

/// <summary>Loads preference files for commands and reports skipped lines.</summary>
internal static class CliData
{
    public static async Task<PreferenceDataset> LoadAsync(
        FileInfo file, bool skipInvalid, IAnsiConsole console, bool quiet, CancellationToken cancellationToken, IEmbeddingGenerator<string, Embedding<float>>? embedder = null)
    {
        var result = await PreferenceJsonl.LoadAsync(
            file.FullName,
            new PreferenceLoadOptions { SkipInvalidRecords = skipInvalid, EmbeddingGenerator = embedder },
            cancellationToken).ConfigureAwait(false);
        if (result.Skipped.Count > 0 && !quiet)
        {
            console.MarkupLine($"[yellow]skipped {result.Skipped.Count} invalid line(s)[/] in {Markup.Escape(file.Name)}; first: {Markup.Escape(result.Skipped[0].Message)}");
        }

        return result.Dataset;
    }

    /// <summary>Loads a file for scoring or adapting with a run: text records are embedded by the run's saved embedder.</summary>
    public static async Task<PreferenceDataset> LoadForRunAsync(
        FileInfo file, DirectoryInfo run, bool skipInvalid, IAnsiConsole console, bool quiet, CancellationToken cancellationToken)
    {
        using var embedder = RunDirectory.LoadEmbeddingGenerator(run.FullName);
        return await LoadAsync(file, skipInvalid, console, quiet, cancellationToken, embedder).ConfigureAwait(false);
    }

    /// <summary>The text encoder of <c>--embedder</c> when none is given.</summary>
    public const string DefaultEmbedder = "hashed";

    /// <summary>
    /// Loads training data. When records carry text without vectors, the offline default embedder is fitted on all
    /// the file's texts first (and returned, to be saved with the run so scoring embeds text the same way).
    /// </summary>
    public static async Task<(PreferenceDataset Data, HashedNgramEmbeddingGenerator? Embedder)> LoadForTrainingAsync(
        FileInfo file, bool skipInvalid, IAnsiConsole console, bool quiet, CancellationToken cancellationToken, string embedderName = DefaultEmbedder)
    {
        var texts = new List<string>();
        var needsEmbedding = false;
        try
        {
            await foreach (var (_, record) in PreferenceJsonl.ReadRecordsAsync(file.FullName, cancellationToken).ConfigureAwait(false))
            {
                needsEmbedding |= record.ChosenEmbedding is null && record.Chosen is not null;
                texts.AddRange(new[] { record.Prompt, record.Chosen, record.Rejected }.OfType<string>());
            }
        }
        catch (InvalidPreferenceDataException) when (skipInvalid)
        {
            // The loader below skips and reports bad lines; texts of the good ones seen so far are enough to decide.
        }
        catch (InvalidPreferenceDataException)
        {
            // Let the loader report the first bad record with its line.
        }

        if (needsEmbedding && embedderName != DefaultEmbedder)
        {
            throw new ArgumentException($"--embedder {embedderName}: this build has no such text encoder; use --embedder {DefaultEmbedder}");
        }

        var embedder = needsEmbedding ? HashedNgramEmbeddingGenerator.Fit(texts) : null;
        if (embedder is not null && !quiet)
        {
            console.MarkupLine($"Records carry text: fitted the offline embedder ({embedder.Dimension} hashed token n-grams, IDF from {embedder.Documents} distinct texts); it is saved with the run.");
        }

        return (await LoadAsync(file, skipInvalid, console, quiet, cancellationToken, embedder).ConfigureAwait(false), embedder);
    }

    /// <summary>Splits a comma-separated option value; <see langword="null"/> when empty.</summary>
    public static string[]? SplitList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? null : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Fails clearly on an unknown preset name.</summary>
    public static void CheckPresets(IEnumerable<string> presets)
    {
        foreach (var preset in presets.Where(p => !Experiments.PreparedPopulation.Presets.Contains(p)))
        {
            throw new ArgumentException($"unknown preset '{preset}'; available: {string.Join(", ", Experiments.PreparedPopulation.Presets)}");
        }
    }

    /// <summary>Parses <c>name=weight,name=weight</c> into a direction.</summary>
    public static IReadOnlyDictionary<string, double>? ParseDirection(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var direction = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pieces.Length != 2 || pieces[0].Length == 0
                || !double.TryParse(pieces[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var weight)
                || !double.IsFinite(weight))
            {
                throw new ArgumentException($"--direction: '{part}' is not name=weight (for example \"helpfulness=1,verbosity=-0.5\")");
            }

            direction[pieces[0]] = weight;
        }

        return direction;
    }
}
