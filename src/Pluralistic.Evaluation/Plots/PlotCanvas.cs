using ScottPlot;

namespace Pluralistic.Evaluation;

/// <summary>What every plot of the report shares: font, title, palette, and rendering to PNG.</summary>
internal static class PlotCanvas
{
    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    public static Plot Create(PlotOptions options, string defaultTitle, string xLabel, string yLabel)
    {
        if (options.Width <= 0 || options.Height <= 0)
        {
            throw new ArgumentException($"a plot needs a positive size (got {options.Width} x {options.Height})", nameof(options));
        }

        var plot = new Plot();
        plot.Font.Set(options.FontName);
        plot.Title(options.Title ?? defaultTitle);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>The colour of series <paramref name="index"/>: the same model gets the same colour in every plot.</summary>
    public static Color SeriesColor(int index) => Palette.GetColor(index);

    public static byte[] Png(Plot plot, PlotOptions options) => plot.GetImageBytes(options.Width, options.Height, ImageFormat.Png);

    public static void Save(string path, byte[] png)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllBytes(path, png);
    }

    public static void RequireSeries<T>(IReadOnlyList<T> series, string name)
    {
        ArgumentNullException.ThrowIfNull(series, name);
        if (series.Count == 0)
        {
            throw new ArgumentException("at least one series is required", name);
        }
    }
}
