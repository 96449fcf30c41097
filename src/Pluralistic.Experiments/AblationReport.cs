using System.Globalization;
using System.Text;
using Pluralistic.Evaluation;

namespace Pluralistic.Experiments;

/// <summary>
/// Turns experiment rows into a markdown report with PNG plots: one table per preset (seen, unseen, minority, worst
/// group, gap closed, points over BT with standard errors, ECE, context sensitivity, training time), few-shot curves,
/// reliability diagrams and per-group accuracy bars. Used by <c>pluralistic ablate</c> and by the benchmark generator.
/// </summary>
public static class AblationReport
{
    /// <summary>Writes the plots into <paramref name="imagesDirectory"/> and returns the markdown.</summary>
    /// <param name="rows">Experiment rows (several presets and models).</param>
    /// <param name="imagesDirectory">Where the PNGs go (created when missing).</param>
    /// <param name="imageLinkPrefix">How the markdown links to that directory (for example <c>images/</c>).</param>
    /// <param name="contextPairs">The unseen users' context size used in the rows.</param>
    /// <returns>The markdown.</returns>
    public static string Write(IReadOnlyList<ExperimentRow> rows, string imagesDirectory, string imageLinkPrefix, int contextPairs)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Directory.CreateDirectory(imagesDirectory);
        var text = new StringBuilder();
        foreach (var preset in rows.GroupBy(r => r.Preset))
        {
            var presetRows = preset.ToList();
            var first = presetRows[0];
            text.AppendLine(CultureInfo.InvariantCulture, $"### {preset.Key}");
            text.AppendLine();
            text.AppendLine(PreparedPopulation.Describe(preset.Key));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Oracle accuracy: seen {MetricsFormat.Percent(first.Seen.OracleAccuracy)}, unseen {MetricsFormat.Percent(first.Unseen.OracleAccuracy)}. Best single reward: seen {MetricsFormat.Percent(first.BestSingleSeen)}, unseen {MetricsFormat.Percent(first.BestSingleUnseen)}.");
            text.AppendLine();
            text.AppendLine(Table(presetRows, contextPairs).ToString());

            var images = new List<string>();
            var curves = presetRows.Where(r => r.FewShot is not null).Select(r => (r.Model, r.FewShot!)).ToList();
            if (curves.Count > 0)
            {
                var name = $"fewshot-{preset.Key}.png";
                FewShotPlot.SavePng(Path.Combine(imagesDirectory, name), curves, first.Unseen.OracleAccuracy, new PlotOptions { Title = $"{preset.Key}: unseen users, accuracy after k context pairs" });
                images.Add($"![few-shot curves, {preset.Key}]({imageLinkPrefix}{name})");
                text.AppendLine(FewShotTable(curves).ToString());
            }

            var models = presetRows.Select(r => (r.Model, r.Seen)).ToList();
            var calibration = $"calibration-{preset.Key}.png";
            ReliabilityDiagram.SavePng(Path.Combine(imagesDirectory, calibration), models, new PlotOptions { Title = $"{preset.Key}: reliability on seen users" });
            images.Add($"![reliability diagram, {preset.Key}]({imageLinkPrefix}{calibration})");
            var groups = $"groups-{preset.Key}.png";
            GroupAccuracyPlot.SavePng(Path.Combine(imagesDirectory, groups), models, new PlotOptions { Title = $"{preset.Key}: accuracy per group, seen users" });
            images.Add($"![per-group accuracy, {preset.Key}]({imageLinkPrefix}{groups})");
            text.AppendLine(string.Join(" ", images));
            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>The per-preset table.</summary>
    /// <param name="rows">Rows of one preset.</param>
    /// <param name="contextPairs">The unseen users' context size.</param>
    /// <returns>The table.</returns>
    public static MarkdownTable Table(IReadOnlyList<ExperimentRow> rows, int contextPairs)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var contested = rows.Any(r => r.UnseenContested is not null);
        var heldOutUsers = rows.Select(r => r.HeldOutOverBaseline?.Users).FirstOrDefault(n => n is not null);
        var heldOutSeenPairs = rows.Select(r => r.HeldOutSeenOverBaseline?.Pairs).FirstOrDefault(n => n is not null);
        var table = new MarkdownTable()
            .AddColumn("model")
            .AddColumn("seen", ColumnAlignment.Right)
            .AddColumn($"unseen (k={contextPairs})", ColumnAlignment.Right)
            .AddColumn("minority (seen)", ColumnAlignment.Right)
            .AddColumn("worst group (seen)", ColumnAlignment.Right)
            .AddColumn("unseen per group", ColumnAlignment.Right)
            .AddColumn("gap closed seen / unseen", ColumnAlignment.Right)
            .AddColumn("points over BT, seen / unseen (± s.e.)", ColumnAlignment.Right)
            .AddColumn("ECE (seen)", ColumnAlignment.Right)
            .AddColumn("context sensitivity", ColumnAlignment.Right)
            .AddColumn("active latent units", ColumnAlignment.Right);
        if (contested)
        {
            table.AddColumn("unseen, contested pairs", ColumnAlignment.Right);
        }

        if (heldOutSeenPairs is { } pairs)
        {
            table.AddColumn($"points over BT, {pairs} further seen pairs", ColumnAlignment.Right);
        }

        if (heldOutUsers is { } users)
        {
            table.AddColumn($"points over BT, {users} further unseen users (k={contextPairs})", ColumnAlignment.Right);
        }

        table.AddColumn("train s", ColumnAlignment.Right);
        foreach (var row in rows)
        {
            var cells = new List<string?>
            {
                row.Model,
                MetricsFormat.Percent(row.Seen.Accuracy),
                MetricsFormat.Percent(row.Unseen.Accuracy),
                $"{row.MinorityGroup} {MetricsFormat.Percent(row.SeenMinorityAccuracy)}",
                $"{row.Seen.WorstGroup} {MetricsFormat.Percent(row.Seen.WorstGroupAccuracy)}",
                string.Join(", ", row.Unseen.PerGroup.Select(g => $"{g.Key} {MetricsFormat.Percent(g.Value.Accuracy)}")),
                $"{MetricsFormat.Number(row.Seen.GapClosed, 2)} / {MetricsFormat.Number(row.Unseen.GapClosed, 2)}",
                row.IsBaseline || row.SeenOverBaseline is null || row.UnseenOverBaseline is null
                    ? "-"
                    : $"{row.SeenOverBaseline.ToPoints()} / {row.UnseenOverBaseline.ToPoints()}",
                MetricsFormat.Number(row.Seen.Ece),
                MetricsFormat.Number(row.ContextSensitivity, 2),
                row.ActiveUnits is { } units ? $"{units.ActiveUnits} / {units.LatentSize}" : "-",
            };
            if (contested)
            {
                cells.Add(MetricsFormat.Percent(row.UnseenContested?.Accuracy));
            }

            if (heldOutSeenPairs is not null)
            {
                cells.Add(row.IsBaseline || row.HeldOutSeenOverBaseline is null ? "-" : row.HeldOutSeenOverBaseline.ToPoints());
            }

            if (heldOutUsers is not null)
            {
                cells.Add(row.IsBaseline || row.HeldOutOverBaseline is null ? "-" : row.HeldOutOverBaseline.ToPoints());
            }

            cells.Add(row.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
            table.AddRow(cells);
        }

        return table;
    }

    private static MarkdownTable FewShotTable(List<(string Model, FewShotCurve Curve)> curves) =>
        MetricsTable.FewShot(curves.Select(c => (c.Model, c.Curve)));
}
