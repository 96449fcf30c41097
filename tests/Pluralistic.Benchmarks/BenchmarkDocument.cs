using System.Globalization;
using System.Text;

namespace Pluralistic.Benchmarks;

/// <summary>
/// docs/benchmarks.md as a header and "## " sections. A run of some sections (<c>--sections</c>) replaces those sections
/// in the existing document and keeps the others as they were measured, so one slow section can be remeasured without
/// rerunning the rest; the header then names the sections and the date of each partial rerun.
/// </summary>
internal sealed class BenchmarkDocument
{
    private const string SectionMarker = "## ";
    private const string RerunPrefix = "- Rerun ";

    /// <summary>The header's note on the change of defaults that sections measured before it predate.</summary>
    public const string AnchorDefaultNote = "- Defaults changed 2026-12-07: personalized methods are anchored to the population reward by default (`RewardTrainerOptions.PopulationAnchor`); a section last measured before that date trained them alone, as the default was then (the sections \"Population anchor on the synthetic presets\" and \"Real data: MovieLens 100k\" show both).";

    private BenchmarkDocument(List<string> header, List<(string Title, string Body)> sections)
    {
        Header = header;
        Sections = sections;
    }

    /// <summary>The lines before the first section.</summary>
    public List<string> Header { get; }

    /// <summary>The sections in document order: title (without the marker) and the markdown below it.</summary>
    public List<(string Title, string Body)> Sections { get; }

    public static BenchmarkDocument Parse(string markdown)
    {
        var header = new List<string>();
        var sections = new List<(string Title, string Body)>();
        string? title = null;
        var body = new StringBuilder();
        foreach (var line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.StartsWith(SectionMarker, StringComparison.Ordinal))
            {
                if (title is not null)
                {
                    sections.Add((title, body.ToString().Trim('\n')));
                }

                title = line[SectionMarker.Length..];
                body.Clear();
            }
            else if (title is null)
            {
                header.Add(line);
            }
            else
            {
                body.Append(line).Append('\n');
            }
        }

        if (title is not null)
        {
            sections.Add((title, body.ToString().Trim('\n')));
        }

        while (header.Count > 0 && header[^1].Length == 0)
        {
            header.RemoveAt(header.Count - 1);
        }

        return new BenchmarkDocument(header, sections);
    }

    /// <summary>
    /// Puts <paramref name="measured"/> into this document: a section with the same title is replaced in place, a new one
    /// goes after the last section that precedes it in <paramref name="order"/>. Adds a header line for the rerun.
    /// </summary>
    public void Merge(IReadOnlyList<(string Title, string Body)> measured, IReadOnlyList<string> order, string command, DateTime date)
    {
        foreach (var (title, body) in measured)
        {
            var at = Sections.FindIndex(s => s.Title == title);
            if (at >= 0)
            {
                Sections[at] = (title, body);
                continue;
            }

            var rank = IndexIn(order, title);
            var after = Sections.FindLastIndex(s => IndexIn(order, s.Title) < rank);
            Sections.Insert(after + 1, (title, body));
        }

        var titles = string.Join(", ", measured.Select(s => $"\"{s.Title}\""));
        // An earlier rerun's line goes only when every section it names has been measured again now.
        var titlesNow = measured.Select(s => s.Title).ToHashSet(StringComparer.Ordinal);
        Header.RemoveAll(line => line.StartsWith(RerunPrefix, StringComparison.Ordinal) && order.Where(t => line.Contains($"\"{t}\"", StringComparison.Ordinal)).All(titlesNow.Contains));
        Header.Add(string.Create(CultureInfo.InvariantCulture, $"{RerunPrefix}{date:yyyy-MM-dd} with `{command}`: {titles} (the other sections are from the dates above)"));
    }

    /// <summary>Adds <paramref name="line"/> to the header unless it is there already.</summary>
    public void EnsureHeaderLine(string line)
    {
        if (!Header.Contains(line))
        {
            Header.Add(line);
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var line in Header)
        {
            text.Append(line).Append('\n');
        }

        foreach (var (title, body) in Sections)
        {
            text.Append('\n').Append(SectionMarker).Append(title).Append("\n\n").Append(body).Append('\n');
        }

        return text.ToString();
    }

    private static int IndexIn(IReadOnlyList<string> order, string title)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i] == title)
            {
                return i;
            }
        }

        return int.MaxValue;
    }
}
