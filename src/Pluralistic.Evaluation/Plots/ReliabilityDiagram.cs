using ScottPlot;

namespace Pluralistic.Evaluation;

/// <summary>
/// The calibration reliability diagram: per confidence bin (<see cref="PreferenceMetrics.Calibration"/>), the accuracy
/// against the mean confidence, for several models, with the diagonal of perfect calibration.
/// </summary>
public static class ReliabilityDiagram
{
    /// <summary>Renders the diagram as PNG.</summary>
    /// <param name="models">The models' names and metrics, in legend order (the legend shows each ECE).</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    /// <returns>The PNG bytes.</returns>
    public static byte[] RenderPng(IReadOnlyList<(string Name, PreferenceMetrics Metrics)> models, PlotOptions? options = null)
    {
        PlotCanvas.RequireSeries(models, nameof(models));
        options ??= PlotOptions.Default;
        using var plot = PlotCanvas.Create(options, "Calibration", "confidence max(p, 1 - p)", "accuracy");

        var diagonal = plot.Add.Line(0.5, 0.5, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";

        for (var m = 0; m < models.Count; m++)
        {
            var bins = models[m].Metrics.Calibration.Where(b => b.Count > 0).ToArray();
            var line = plot.Add.ScatterLine(
                bins.Select(b => b.MeanConfidence!.Value).ToArray(),
                bins.Select(b => b.Accuracy!.Value).ToArray(),
                PlotCanvas.SeriesColor(m));
            line.LegendText = $"{models[m].Name} (ECE {MetricsFormat.Number(models[m].Metrics.Ece)})";
            line.LineWidth = 2;
            line.MarkerSize = 7;
            if (options.DashedSeries.Contains(models[m].Name))
            {
                line.LinePattern = LinePattern.Dashed;
            }
        }

        plot.Axes.SetLimits(0.48, 1.02, 0, 1.02);
        plot.ShowLegend(Edge.Right);
        return PlotCanvas.Png(plot, options);
    }

    /// <summary>Renders the diagram and writes it as a PNG file (creating its folder).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="models">The models' names and metrics, in legend order.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    public static void SavePng(string path, IReadOnlyList<(string Name, PreferenceMetrics Metrics)> models, PlotOptions? options = null) =>
        PlotCanvas.Save(path, RenderPng(models, options));
}
