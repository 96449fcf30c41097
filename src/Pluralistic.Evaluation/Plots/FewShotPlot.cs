using ScottPlot;

namespace Pluralistic.Evaluation;

/// <summary>
/// Few-shot curves of several models on one plot: accuracy on the same queries against the number of context pairs k
/// (evenly spaced, labelled with k), optionally with the oracle's accuracy as a dashed line.
/// </summary>
public static class FewShotPlot
{
    /// <summary>Renders the plot as PNG.</summary>
    /// <param name="curves">The models' names and curves, in legend order.</param>
    /// <param name="oracleAccuracy">The oracle's accuracy on the same queries, when known.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    /// <returns>The PNG bytes.</returns>
    public static byte[] RenderPng(IReadOnlyList<(string Name, FewShotCurve Curve)> curves, double? oracleAccuracy = null, PlotOptions? options = null)
    {
        PlotCanvas.RequireSeries(curves, nameof(curves));
        options ??= PlotOptions.Default;
        var sizes = curves.SelectMany(c => c.Curve.Points.Select(p => p.ContextPairs)).Distinct().Order().ToArray();
        var position = sizes.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => (double)x.i);

        using var plot = PlotCanvas.Create(options, "Few-shot accuracy on unseen users", "context pairs (k)", "accuracy");
        for (var m = 0; m < curves.Count; m++)
        {
            var points = curves[m].Curve.Points;
            var line = plot.Add.ScatterLine(
                points.Select(p => position[p.ContextPairs]).ToArray(),
                points.Select(p => p.Accuracy).ToArray(),
                PlotCanvas.SeriesColor(m));
            line.LegendText = curves[m].Name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            if (options.DashedSeries.Contains(curves[m].Name))
            {
                line.LinePattern = LinePattern.Dashed;
            }
        }

        if (oracleAccuracy is { } oracle)
        {
            var reference = plot.Add.HorizontalLine(oracle, 1.5f, Colors.Gray, LinePattern.Dashed);
            reference.LegendText = "oracle";
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            sizes.Select(k => position[k]).ToArray(), sizes.Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimitsX(-0.3, sizes.Length - 0.7);
        plot.ShowLegend(Edge.Right);
        return PlotCanvas.Png(plot, options);
    }

    /// <summary>Renders the plot and writes it as a PNG file (creating its folder).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="curves">The models' names and curves, in legend order.</param>
    /// <param name="oracleAccuracy">The oracle's accuracy on the same queries, when known.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    public static void SavePng(string path, IReadOnlyList<(string Name, FewShotCurve Curve)> curves, double? oracleAccuracy = null, PlotOptions? options = null) =>
        PlotCanvas.Save(path, RenderPng(curves, oracleAccuracy, options));
}
