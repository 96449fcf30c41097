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
        var runs = rows.GroupBy(r => r.Preset).Select(preset => new PopulationRun(preset.ToList(), [])).ToList();
        return Write(runs, imagesDirectory, imageLinkPrefix, contextPairs);
    }

    /// <summary>
    /// Writes the plots into <paramref name="imagesDirectory"/> and returns the markdown, one section per preset's run
    /// (<see cref="PopulationExperiment.RunPresetsAsync"/>): reference rows are marked as such and described, and the
    /// references that could not run are named with the reason.
    /// </summary>
    /// <param name="runs">One run per preset.</param>
    /// <param name="imagesDirectory">Where the PNGs go (created when missing).</param>
    /// <param name="imageLinkPrefix">How the markdown links to that directory (for example <c>images/</c>).</param>
    /// <param name="contextPairs">The unseen users' context size used in the rows.</param>
    /// <returns>The markdown.</returns>
    public static string Write(IReadOnlyList<PopulationRun> runs, string imagesDirectory, string imageLinkPrefix, int contextPairs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        Directory.CreateDirectory(imagesDirectory);
        var text = new StringBuilder();
        foreach (var run in runs.Where(r => r.Rows.Count > 0))
        {
            var presetRows = run.Rows;
            var first = presetRows[0];
            var preset = first.Preset;
            text.AppendLine(CultureInfo.InvariantCulture, $"### {preset}");
            text.AppendLine();
            text.AppendLine(PreparedPopulation.Describe(preset));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Oracle accuracy: seen {MetricsFormat.Percent(first.Seen.OracleAccuracy)}, unseen {MetricsFormat.Percent(first.Unseen.OracleAccuracy)}. Best single reward: seen {MetricsFormat.Percent(first.BestSingleSeen)}, unseen {MetricsFormat.Percent(first.BestSingleUnseen)}.");
            text.AppendLine();
            text.AppendLine(Table(presetRows, contextPairs).ToString());
            AppendReferences(text, run);

            var images = new List<string>();
            var dashed = new PlotOptions { DashedSeries = presetRows.Where(r => r.IsReference).Select(r => r.Model).ToList() };
            var legend = dashed.DashedSeries.Count > 0 ? " (dashed: reference rows)" : string.Empty;
            var curves = presetRows.Where(r => r.FewShot is not null).Select(r => (r.Model, r.FewShot!)).ToList();
            if (curves.Count > 0)
            {
                var name = $"fewshot-{preset}.png";
                FewShotPlot.SavePng(Path.Combine(imagesDirectory, name), curves, first.Unseen.OracleAccuracy, dashed with { Title = $"{preset}: unseen users, accuracy after k context pairs{legend}" });
                images.Add($"![few-shot curves, {preset}]({imageLinkPrefix}{name})");
                text.AppendLine(MetricsTable.FewShot(presetRows.Where(r => r.FewShot is not null).Select(r => (r.Label, r.FewShot!))).ToString());
            }

            var models = presetRows.Select(r => (r.Model, r.Seen)).ToList();
            var calibration = $"calibration-{preset}.png";
            ReliabilityDiagram.SavePng(Path.Combine(imagesDirectory, calibration), models, dashed with { Title = $"{preset}: reliability on seen users{legend}" });
            images.Add($"![reliability diagram, {preset}]({imageLinkPrefix}{calibration})");
            var groups = $"groups-{preset}.png";
            GroupAccuracyPlot.SavePng(Path.Combine(imagesDirectory, groups), models, new PlotOptions { Title = $"{preset}: accuracy per group, seen users" });
            images.Add($"![per-group accuracy, {preset}]({imageLinkPrefix}{groups})");
            text.AppendLine(string.Join(" ", images));
            text.AppendLine();
        }

        return text.ToString();
    }

    // What each reference row is (a reviewer reads the row against it), and which could not run on this preset and why.
    private static void AppendReferences(StringBuilder text, PopulationRun run)
    {
        var ran = run.Rows.Where(r => r.IsReference).ToList();
        foreach (var row in ran)
        {
            var description = ReferenceModels.All.FirstOrDefault(r => r.Name == row.Model)?.Description;
            text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Label}: {description ?? "a reference row"}.");
        }

        foreach (var reference in run.UnavailableReferences)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {reference.Name} (reference): not applicable, {reference.Reason}.");
        }

        if (ran.Count > 0 || run.UnavailableReferences.Count > 0)
        {
            text.AppendLine();
        }
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
                row.Label,
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
}
