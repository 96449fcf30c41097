using Pluralistic.Data;
using Spectre.Console;

namespace Pluralistic.Cli.Output;

/// <summary>Loads preference files for commands and reports skipped lines.</summary>
internal static class CliData
{
    public static async Task<PreferenceDataset> LoadAsync(FileInfo file, bool skipInvalid, IAnsiConsole console, bool quiet, CancellationToken cancellationToken)
    {
        var result = await PreferenceJsonl.LoadAsync(
            file.FullName,
            new PreferenceLoadOptions { SkipInvalidRecords = skipInvalid },
            cancellationToken).ConfigureAwait(false);
        if (result.Skipped.Count > 0 && !quiet)
        {
            console.MarkupLine($"[yellow]skipped {result.Skipped.Count} invalid line(s)[/] in {Markup.Escape(file.Name)}; first: {Markup.Escape(result.Skipped[0].Message)}");
        }

        return result.Dataset;
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
