namespace Pluralistic.Evaluation;

/// <summary>The standard markdown tables of the benchmark report.</summary>
public static class MetricsTable
{
    /// <summary>
    /// One row per model: pairs, accuracy, mean user accuracy, worst group, log-loss, Brier, ECE, and, when any row has
    /// reference figures, the fraction of the oracle and the gap closed.
    /// </summary>
    /// <param name="rows">The models' names and metrics, in display order.</param>
    /// <returns>The table.</returns>
    public static MarkdownTable Create(IEnumerable<(string Name, PreferenceMetrics Metrics)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        var references = list.Any(r => r.Metrics.OracleAccuracy is not null);
        var table = new MarkdownTable()
            .AddColumn("Model")
            .AddColumn("Pairs", ColumnAlignment.Right)
            .AddColumn("Accuracy", ColumnAlignment.Right)
            .AddColumn("Mean user acc.", ColumnAlignment.Right)
            .AddColumn("Worst group", ColumnAlignment.Right)
            .AddColumn("Log-loss", ColumnAlignment.Right)
            .AddColumn("Brier", ColumnAlignment.Right)
            .AddColumn("ECE", ColumnAlignment.Right);
        if (references)
        {
            table.AddColumn("Of oracle", ColumnAlignment.Right).AddColumn("Gap closed", ColumnAlignment.Right);
        }

        foreach (var (name, m) in list)
        {
            var cells = new List<string>
            {
                name,
                MetricsFormat.Count(m.Count),
                MetricsFormat.Percent(m.Accuracy),
                MetricsFormat.Percent(m.MeanUserAccuracy),
                m.WorstGroup is null ? MetricsFormat.Missing : $"{MetricsFormat.Percent(m.WorstGroupAccuracy)} ({m.WorstGroup})",
                MetricsFormat.Number(m.LogLoss),
                MetricsFormat.Number(m.Brier),
                MetricsFormat.Number(m.Ece),
            };
            if (references)
            {
                cells.Add(MetricsFormat.Percent(m.FractionOfOracle));
                cells.Add(MetricsFormat.Number(m.GapClosed, 2));
            }

            table.AddRow(cells);
        }

        return table;
    }

    /// <summary>One row per model, one column per context size k (the union over the curves): accuracy on the queries.</summary>
    /// <param name="curves">The models' names and few-shot curves, in display order.</param>
    /// <returns>The table.</returns>
    public static MarkdownTable FewShot(IEnumerable<(string Name, FewShotCurve Curve)> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var list = curves.ToList();
        var sizes = list.SelectMany(c => c.Curve.Points.Select(p => p.ContextPairs)).Distinct().Order().ToArray();
        var table = new MarkdownTable().AddColumn("Model");
        foreach (var k in sizes)
        {
            table.AddColumn($"k = {k}", ColumnAlignment.Right);
        }

        foreach (var (name, curve) in list)
        {
            var byK = curve.Points.ToDictionary(p => p.ContextPairs);
            table.AddRow(sizes.Select(k => byK.TryGetValue(k, out var p) ? MetricsFormat.Percent(p.Accuracy) : MetricsFormat.Missing).Prepend(name));
        }

        return table;
    }
}
