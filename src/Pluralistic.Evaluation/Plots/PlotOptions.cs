namespace Pluralistic.Evaluation;

/// <summary>Size, title and font of a rendered plot.</summary>
public sealed record PlotOptions
{
    /// <summary>Default options: 800 x 500 pixels, the plot's own title, DejaVu Sans.</summary>
    public static PlotOptions Default { get; } = new();

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; } = 800;

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; } = 500;

    /// <summary>The title; <see langword="null"/> for the plot's default title.</summary>
    public string? Title { get; init; }

    /// <summary>
    /// Names of series drawn with dashed lines, for example reference rows beside the methods (few-shot curves and reliability diagrams).
    /// Default: none.
    /// </summary>
    public IReadOnlyCollection<string> DashedSeries { get; init; } = [];

    /// <summary>
    /// The font of every text. Set explicitly so that output does not depend on which font the system picks as its
    /// default (a font the system lacks falls back to ScottPlot's default).
    /// </summary>
    public string FontName { get; init; } = "DejaVu Sans";
}
