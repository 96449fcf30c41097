using Pluralistic.Data;
using Spectre.Console;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>One section of docs/benchmarks.md: it measures something and returns its markdown.</summary>
internal abstract class BenchmarkSection
{
    /// <summary>Short id used with --sections.</summary>
    public abstract string Id { get; }

    /// <summary>The section heading.</summary>
    public abstract string Title { get; }

    /// <summary>Measures and returns the section's markdown body (tables, image links, notes).</summary>
    public abstract Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}

/// <summary>Where a section writes and how much it runs.</summary>
/// <param name="DocsDirectory">The docs directory (benchmarks.md is written there).</param>
/// <param name="Seed">The seed of every population and trainer.</param>
/// <param name="Quick">Smaller sizes, for checking that the generator runs (figures are not for publishing).</param>
/// <param name="Console">Progress output.</param>
internal sealed record BenchmarkContext(string DocsDirectory, int Seed, bool Quick, IAnsiConsole Console)
{
    /// <summary>A local MovieLens 100k folder for the real-data section, or <see langword="null"/> (the section is skipped).</summary>
    public string? RealDataDirectory { get; init; }

    /// <summary>The default population sizes, or the small ones of a quick run (66 seen, 12 unseen users).</summary>
    public SyntheticPopulationOptions PopulationSizes => Quick
        ? new SyntheticPopulationOptions { SeenUsers = 66, UnseenUsers = 12 }
        : new SyntheticPopulationOptions();

    /// <summary>Where images go (docs/images), created on demand.</summary>
    public string ImagePath(string name)
    {
        var directory = Path.Combine(DocsDirectory, "images");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }

    /// <summary>A markdown image link relative to docs/.</summary>
    public static string ImageLink(string alt, string name) => $"![{alt}](images/{name})";

    public void Log(string message) => Console.MarkupLine(Markup.Escape(message));
}
