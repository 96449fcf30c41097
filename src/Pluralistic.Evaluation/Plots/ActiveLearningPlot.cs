using ScottPlot;

namespace Pluralistic.Evaluation;

/// <summary>
/// An active-learning curve: accuracy on the same queries after each question, for questions the model chose and for
/// random ones, with the random budget's accuracy as a dashed line so the crossing point reads off the plot.
/// </summary>
public static class ActiveLearningPlot
{
    /// <summary>Renders the plot as PNG.</summary>
    /// <param name="curve">The curve.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    /// <returns>The PNG bytes.</returns>
    public static byte[] RenderPng(ActiveLearningCurve curve, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(curve);
        PlotCanvas.RequireSeries(curve.Points, nameof(curve));
        options ??= PlotOptions.Default;
        using var plot = PlotCanvas.Create(options, "Active questions vs random questions", "questions asked", "accuracy");
        var questions = curve.Points.Select(p => (double)p.Questions).ToArray();
        AddSeries(plot, questions, curve.Points.Select(p => p.ActiveAccuracy).ToArray(), "chosen by the model", 0);
        AddSeries(plot, questions, curve.Points.Select(p => p.RandomAccuracy).ToArray(), "random", 1);
        var target = plot.Add.HorizontalLine(curve.RandomAccuracyAtBudget, 1.5f, Colors.Gray, LinePattern.Dashed);
        target.LegendText = $"random after {curve.Budget}";
        plot.ShowLegend(Edge.Right);
        return PlotCanvas.Png(plot, options);
    }

    /// <summary>Renders the plot and writes it as a PNG file (creating its folder).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="curve">The curve.</param>
    /// <param name="options">Size, title and font; <see langword="null"/> for defaults.</param>
    public static void SavePng(string path, ActiveLearningCurve curve, PlotOptions? options = null) =>
        PlotCanvas.Save(path, RenderPng(curve, options));

    private static void AddSeries(Plot plot, double[] x, double[] y, string name, int index)
    {
        var line = plot.Add.ScatterLine(x, y, PlotCanvas.SeriesColor(index));
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = 7;
    }
}
