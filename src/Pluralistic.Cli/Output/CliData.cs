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

    /// <summary>
    /// Loads a file for scoring or adapting with a run: text records are embedded by the embedder the run was trained
    /// with (the run's <see cref="Run.TextEmbedder"/>: rebuilt, verified against the run's record and cached, so each
    /// distinct text is embedded once).
    /// </summary>
    public static Task<PreferenceDataset> LoadForRunAsync(
        FileInfo file, Run run, bool skipInvalid, IAnsiConsole console, bool quiet, CancellationToken cancellationToken) =>
        LoadAsync(file, skipInvalid, console, quiet, cancellationToken, run.TextEmbedder);

    /// <summary>
    /// Loads training data. When records carry text without vectors, they are embedded by the chosen embedder kind
    /// (made from the file's texts, which the hashed generator learns its IDF from), returned to be saved with the run
    /// so scoring embeds text the same way.
    /// </summary>
    public static async Task<(PreferenceDataset Data, IEmbeddingGenerator<string, Embedding<float>>? Embedder)> LoadForTrainingAsync(
        FileInfo file, TextEmbedderKind embedderKind, bool skipInvalid, IAnsiConsole console, bool quiet, CancellationToken cancellationToken)
    {
        var texts = new HashSet<string>(StringComparer.Ordinal);
        var needsEmbedding = false;
        try
        {
            await foreach (var (_, record) in PreferenceJsonl.ReadRecordsAsync(file.FullName, cancellationToken).ConfigureAwait(false))
            {
                needsEmbedding |= record.ChosenEmbedding is null && record.Chosen is not null;
                texts.UnionWith(new[] { record.Prompt, record.Chosen, record.Rejected }.OfType<string>());
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

        if (!needsEmbedding)
        {
            return (await LoadAsync(file, skipInvalid, console, quiet, cancellationToken).ConfigureAwait(false), null);
        }

        // Records repeat prompts and replies: the cache embeds each distinct text once.
        var embedder = new MemoryCachingEmbeddingGenerator(embedderKind.Create(texts));
        try
        {
            if (!quiet)
            {
                console.MarkupLine(
                    $"Records carry text: embedding {texts.Count} distinct texts with [bold]{Markup.Escape(embedderKind.Name)}[/] ({Markup.Escape(TextEmbedderIdentity.Describe(embedder))}); the run remembers it.");
            }

            return (await LoadAsync(file, skipInvalid, console, quiet, cancellationToken, embedder).ConfigureAwait(false), embedder);
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    /// <summary>Splits a comma-separated option value; <see langword="null"/> when empty.</summary>
    public static string[]? SplitList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? null : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Parses a <c>--references</c> value: <c>none</c>, a comma-separated list, or every reference when empty.</summary>
    /// <exception cref="ArgumentException">A name that is no reference.</exception>
    public static List<Evaluation.ReferenceModel> ParseReferences(string? value)
    {
        if (value?.Trim() is "none")
        {
            return [];
        }

        var names = SplitList(value) ?? Evaluation.ReferenceModels.Names;
        foreach (var name in names.Where(n => !Evaluation.ReferenceModels.Names.Contains(n, StringComparer.OrdinalIgnoreCase)))
        {
            // Said here rather than by ReferenceModels.Get, whose message ends in a parameter name the user never typed.
            throw new ArgumentException($"unknown reference '{name}' in --references; available: {string.Join(", ", Evaluation.ReferenceModels.Names)}, or none");
        }

        return names.Select(Evaluation.ReferenceModels.Get).Distinct().ToList();
    }

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
