using ScottPlot;

namespace Pluralistic.Evaluation;

/// <summary>Per-group accuracy as grouped bars: one cluster per evaluation group, one bar per model.</summary>
public static class GroupAccuracyPlot
{
    // The share of a cluster's slot that its bars fill; the rest separates clusters.
    private const double ClusterWidth = 0.8;

    /// <summary>Renders the plot as PNG.</summary>
    /// <param name="models">The models' names and metrics, in legend order; groups are the union of their groups.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    /// <returns>The PNG bytes.</returns>
    /// <exception cref="ArgumentException">No model has per-group metrics.</exception>
    public static byte[] RenderPng(IReadOnlyList<(string Name, PreferenceMetrics Metrics)> models, PlotOptions? options = null)
    {
        PlotCanvas.RequireSeries(models, nameof(models));
        options ??= PlotOptions.Default;
        var groups = models.SelectMany(m => m.Metrics.PerGroup.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (groups.Length == 0)
        {
            throw new ArgumentException("no model has per-group metrics (the records carry no group label)", nameof(models));
        }

        using var plot = PlotCanvas.Create(options, "Accuracy per group", "group", "accuracy");
        var width = ClusterWidth / models.Count;
        var bars = new List<Bar>();
        for (var m = 0; m < models.Count; m++)
        {
            var color = PlotCanvas.SeriesColor(m);
            for (var g = 0; g < groups.Length; g++)
            {
                if (models[m].Metrics.PerGroup.TryGetValue(groups[g], out var group))
                {
                    bars.Add(new Bar
                    {
                        Position = g - (ClusterWidth / 2) + ((m + 0.5) * width),
                        Value = group.Accuracy,
                        Size = width,
                        FillColor = color,
                    });
                }
            }

            plot.Legend.ManualItems.Add(new LegendItem { LabelText = models[m].Name, FillColor = color });
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, groups.Length).Select(g => (double)g).ToArray(), groups);
        plot.Axes.SetLimits(-0.6, groups.Length - 0.4, 0, 1.08);
        plot.ShowLegend(Edge.Right);
        return PlotCanvas.Png(plot, options);
    }

    /// <summary>Renders the plot and writes it as a PNG file (creating its folder).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="models">The models' names and metrics, in legend order.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    public static void SavePng(string path, IReadOnlyList<(string Name, PreferenceMetrics Metrics)> models, PlotOptions? options = null) =>
        PlotCanvas.Save(path, RenderPng(models, options));
}
