using ScottPlot;

namespace Pluralistic.Evaluation;

/// <summary>
/// A control sweep as lines: the mean true value of each objective of the best-of-n pick against how far the direction
/// has turned from its start (degrees), one line per true objective.
/// </summary>
public static class ControlSweepPlot
{
    /// <summary>Renders the plot as PNG.</summary>
    /// <param name="sweep">The sweep.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    /// <returns>The PNG bytes.</returns>
    public static byte[] RenderPng(ControlSweepResult sweep, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        PlotCanvas.RequireSeries(sweep.Points, nameof(sweep));
        options ??= PlotOptions.Default;
        using var plot = PlotCanvas.Create(
            options,
            $"Best-of-{sweep.CandidatesPerPick} pick, turning toward {Dominant(sweep.To)}",
            "angle turned from the start direction (degrees)",
            $"mean true objective of the pick ({sweep.Picks} picks)");
        var angles = sweep.Points.Select(p => p.AngleDegrees).ToArray();
        for (var o = 0; o < sweep.TrueObjectiveNames.Count; o++)
        {
            var line = plot.Add.ScatterLine(angles, sweep.Points.Select(p => p.MeanTrueObjectives[o]).ToArray(), PlotCanvas.SeriesColor(o));
            line.LegendText = sweep.TrueObjectiveNames[o];
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }

        plot.ShowLegend(Edge.Right);
        return PlotCanvas.Png(plot, options);
    }

    /// <summary>The objective with the largest weight: full directions with several weights do not fit in a title.</summary>
    private static string Dominant(PreferenceDirection direction)
    {
        var best = 0;
        for (var o = 1; o < direction.Weights.Count; o++)
        {
            if (direction.Weights[o] > direction.Weights[best])
            {
                best = o;
            }
        }

        return direction.Objectives[best];
    }

    /// <summary>Renders the plot and writes it as a PNG file (creating its folder).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="sweep">The sweep.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    public static void SavePng(string path, ControlSweepResult sweep, PlotOptions? options = null) =>
        PlotCanvas.Save(path, RenderPng(sweep, options));
}
