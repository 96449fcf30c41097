using System.Globalization;
using System.Text;
using Pluralistic.Evaluation;

namespace Pluralistic.Experiments;

/// <summary>
/// Turns the rows of one data set into the <c>pluralistic compare</c> report: how the data was split, every method and
/// reference row on seen users and on unseen users after k context pairs, paired margins over Bradley-Terry with
/// standard errors clustered by user, per-group accuracy, calibration and training time, with PNG plots (few-shot
/// curves, reliability diagrams, per-group accuracy). Also used by the benchmark generator.
/// </summary>
public static class CompareReport
{
    private const string NotApplicable = "n/a";

    /// <summary>Writes the plots into <paramref name="imagesDirectory"/> and returns the markdown (headed by <paramref name="headingLevel"/>).</summary>
    /// <param name="split">What the split did.</param>
    /// <param name="run">The rows and the references that could not run.</param>
    /// <param name="contextPairs">The k of the single-k columns (unseen accuracy, margins, per group).</param>
    /// <param name="imagesDirectory">Where the PNGs go (created when missing).</param>
    /// <param name="imageLinkPrefix">How the markdown links to that directory (for example <c>images/</c>).</param>
    /// <param name="headingLevel">The markdown level of the report's sections (2: <c>##</c>).</param>
    /// <returns>The markdown.</returns>
    /// <exception cref="ArgumentException">No row ran.</exception>
    public static string Write(UserSplitSummary split, PopulationRun run, int contextPairs, string imagesDirectory, string imageLinkPrefix, int headingLevel = 2)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(run);
        if (run.Rows.Count == 0)
        {
            throw new ArgumentException("no row to report", nameof(run));
        }

        Directory.CreateDirectory(imagesDirectory);
        var rows = run.Rows;
        var name = rows[0].Preset;
        var slug = Slug(name);
        var heading = new string('#', headingLevel);
        var dashed = new PlotOptions { DashedSeries = rows.Where(r => r.IsReference).Select(r => r.Model).ToList() };
        var text = new StringBuilder();

        text.AppendLine(CultureInfo.InvariantCulture, $"{heading} Data and split");
        text.AppendLine();
        text.AppendLine(DescribeSplit(split));
        text.AppendLine();

        text.AppendLine(CultureInfo.InvariantCulture, $"{heading} Results");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Methods first, then the reference rows (what a practitioner could build in an afternoon). *seen*: accuracy on seen users' held-out pairs; *unseen, k = n*: accuracy on unseen users' queries after n context pairs (the same queries for every k); *points over BT*: the row's accuracy minus Bradley-Terry's on the same pairs, ± the standard error clustered by user (a margin within about two standard errors of 0 is not a difference). Accuracy is strict: a pair counts only when p(chosen) > 0.5.");
        text.AppendLine();
        text.AppendLine(ResultsTable(rows, run.UnavailableReferences, split.ContextSizes, contextPairs).ToString());
        foreach (var reference in run.UnavailableReferences)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {reference.Name}: {NotApplicable}, {reference.Reason}.");
        }

        if (run.UnavailableReferences.Count > 0)
        {
            text.AppendLine();
        }

        AppendAnchorWeights(text, rows);
        var curves = rows.Where(r => r.FewShot is not null).Select(r => (r.Model, r.FewShot!)).ToList();
        var images = new List<string>();
        if (curves.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{heading} Points over BT at every k");
            text.AppendLine();
            text.AppendLine(MarginTable(rows, split.ContextSizes).ToString());
            var fewShot = $"compare-fewshot-{slug}.png";
            FewShotPlot.SavePng(Path.Combine(imagesDirectory, fewShot), curves, options: dashed with { Title = $"{name}: unseen users, accuracy after k context pairs (dashed: reference rows)" });
            images.Add($"![few-shot curves]({imageLinkPrefix}{fewShot})");
        }

        if (rows.Any(r => r.Seen.PerGroup.Count > 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{heading} Per group");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Accuracy per `group` label of the records (seen users' held-out pairs / unseen users' queries after k = {contextPairs}); the worst group is the figure to protect.");
            text.AppendLine();
            text.AppendLine(GroupTable(rows).ToString());
            var groups = $"compare-groups-{slug}.png";
            GroupAccuracyPlot.SavePng(Path.Combine(imagesDirectory, groups), rows.Select(r => (r.Model, r.Seen)).ToList(), new PlotOptions { Title = $"{name}: accuracy per group, seen users" });
            images.Add($"![per-group accuracy]({imageLinkPrefix}{groups})");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"{heading} Calibration (seen users' held-out pairs)");
        text.AppendLine();
        text.AppendLine("A calibrated p(chosen) lets a product act on confidence (ask when unsure, rank by expected win). ECE: weighted mean |accuracy - confidence| over 10 confidence bins; log-loss and Brier: lower is better.");
        text.AppendLine();
        text.AppendLine(MetricsTable.Create(rows.Select(r => (r.Model, r.Seen))).ToString());
        var calibration = $"compare-calibration-{slug}.png";
        ReliabilityDiagram.SavePng(Path.Combine(imagesDirectory, calibration), rows.Select(r => (r.Model, r.Seen)).ToList(), dashed with { Title = $"{name}: reliability on seen users (dashed: reference rows)" });
        images.Add($"![reliability diagram]({imageLinkPrefix}{calibration})");
        text.AppendLine(string.Join(" ", images));
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>The split in words: users, pairs, items, and how held-out and query pairs were chosen.</summary>
    /// <param name="split">The split.</param>
    /// <returns>A markdown list.</returns>
    public static string DescribeSplit(UserSplitSummary split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var text = new StringBuilder();
        var items = split.Items > 0 ? $", {split.Items:N0} items{(split.Ratings ? " with ratings" : " (no ratings)")}" : string.Empty;
        text.AppendLine(CultureInfo.InvariantCulture, $"- {split.Users:N0} users, {split.Pairs:N0} pairs{items}; {split.UsersWithTooFewPairs:N0} users with too few pairs left out.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Seen users: {split.SeenUsers:N0}, with {split.TrainPairs:N0} training pairs; {split.HeldOutPairs:N0} held-out pairs of {split.SeenUsersMeasured:N0} of them; {split.SeenPairsDropped:N0} pairs dropped.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Unseen users: {split.UnseenUsers:N0}; {split.UnseenUsersMeasured:N0} measured at k = {string.Join(", ", split.ContextSizes)} context pairs on {split.QueryPairs:N0} query pairs; {split.UnseenPairsUnused:N0} of their pairs unused.");
        text.Append(split.ItemDisjoint
            ? "- Item-disjoint: a seen user's held-out pairs are over items that user has no training pair of, and an unseen user's queries over items none of their context pairs show (pairs across the cut are dropped) — the test asks what the user will be asked in use."
            : "- Random split: the records name no items, so held-out and query pairs were drawn at random. They may compare items that the same user's training pairs already showed, which flatters methods that memorise a user's items; records with `item_chosen` / `item_rejected` get an item-disjoint split.");
        return text.ToString();
    }

    private static MarkdownTable ResultsTable(IReadOnlyList<ExperimentRow> rows, IReadOnlyList<UnavailableReference> unavailable, IReadOnlyList<int> sizes, int contextPairs)
    {
        var table = new MarkdownTable().AddColumn("row").AddColumn("seen", ColumnAlignment.Right);
        foreach (var k in sizes)
        {
            table.AddColumn($"unseen, k = {k}", ColumnAlignment.Right);
        }

        table.AddColumn("worst group, seen / unseen", ColumnAlignment.Right)
            .AddColumn($"points over BT, seen / unseen k = {contextPairs}", ColumnAlignment.Right)
            .AddColumn("log-loss (seen)", ColumnAlignment.Right)
            .AddColumn("ECE (seen)", ColumnAlignment.Right)
            .AddColumn("context sensitivity", ColumnAlignment.Right)
            .AddColumn("train s", ColumnAlignment.Right);
        foreach (var row in rows)
        {
            var byK = row.FewShot?.Points.ToDictionary(p => p.ContextPairs) ?? [];
            var cells = new List<string?> { row.Label, MetricsFormat.Percent(row.Seen.Accuracy) };
            cells.AddRange(sizes.Select(k => byK.TryGetValue(k, out var p) ? MetricsFormat.Percent(p.Accuracy) : k == contextPairs ? MetricsFormat.Percent(row.Unseen.Accuracy) : MetricsFormat.Missing));
            cells.Add(row.Seen.WorstGroup is null ? MetricsFormat.Missing : $"{row.Seen.WorstGroup} {MetricsFormat.Percent(row.Seen.WorstGroupAccuracy)} / {row.Unseen.WorstGroup} {MetricsFormat.Percent(row.Unseen.WorstGroupAccuracy)}");
            cells.Add(row.IsBaseline || row.SeenOverBaseline is null || row.UnseenOverBaseline is null
                ? MetricsFormat.Missing
                : $"{row.SeenOverBaseline.ToPoints()} / {row.UnseenOverBaseline.ToPoints()}");
            cells.Add(MetricsFormat.Number(row.Seen.LogLoss));
            cells.Add(MetricsFormat.Number(row.Seen.Ece));
            cells.Add(MetricsFormat.Number(row.ContextSensitivity, 2));
            cells.Add(row.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
            table.AddRow(cells);
        }

        foreach (var reference in unavailable)
        {
            table.AddRow(Enumerable.Repeat(NotApplicable, table.ColumnCount - 1).Prepend($"{reference.Name} (reference)"));
        }

        return table;
    }

    private static MarkdownTable MarginTable(IReadOnlyList<ExperimentRow> rows, IReadOnlyList<int> sizes)
    {
        var table = new MarkdownTable().AddColumn("row");
        foreach (var k in sizes)
        {
            table.AddColumn($"k = {k}", ColumnAlignment.Right);
        }

        foreach (var row in rows.Where(r => r.FewShotOverBaseline is not null && !r.IsBaseline))
        {
            var byK = row.FewShotOverBaseline!.ToDictionary(m => m.ContextPairs);
            table.AddRow(sizes.Select(k => byK.TryGetValue(k, out var m) ? m.OverBaseline.ToPoints() : MetricsFormat.Missing).Prepend(row.Label));
        }

        return table;
    }

    private static MarkdownTable GroupTable(IReadOnlyList<ExperimentRow> rows)
    {
        var groups = rows.SelectMany(r => r.Seen.PerGroup.Keys.Concat(r.Unseen.PerGroup.Keys)).Distinct().Order(StringComparer.Ordinal).ToList();
        var table = new MarkdownTable().AddColumn("row");
        foreach (var group in groups)
        {
            table.AddColumn($"{group}, seen / unseen", ColumnAlignment.Right);
        }

        foreach (var row in rows)
        {
            table.AddRow(groups.Select(g => $"{Accuracy(row.Seen, g)} / {Accuracy(row.Unseen, g)}").Prepend(row.Label));
        }

        return table;

        static string Accuracy(PreferenceMetrics metrics, string group) =>
            metrics.PerGroup.TryGetValue(group, out var g) ? MetricsFormat.Percent(g.Accuracy) : MetricsFormat.Missing;
    }

    // How far each anchored row lets a user's own reward move it, fitted on held-out pairs: a row whose new users get
    // none is, for them, its population reward, which is trained exactly as a BT row with its default options and the same seed.
    private static void AppendAnchorWeights(StringBuilder text, IReadOnlyList<ExperimentRow> rows)
    {
        var anchored = rows.Where(r => r.PopulationAnchor is not null).ToList();
        if (anchored.Count == 0)
        {
            return;
        }

        text.AppendLine("Anchored rows (the default; `--anchor false` trains the methods alone): how much of their own reward users keep, fitted on held-out pairs (a user with n pairs keeps n / (n + kappa) of it, moved by how badly the population explains them). Where new users keep none, their figures are the population reward's, which is trained exactly as the BT row is with its default options and the same seed: against such a BT row their margin is zero.");
        text.AppendLine();
        foreach (var row in anchored)
        {
            var anchor = row.PopulationAnchor!;
            var population = AnchorWeights.NewUsersGetPopulationOnly(anchor) ? " — new users are scored by the population reward alone (BT with its defaults)" : string.Empty;
            text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Label}: new users {AnchorWeights.NewUsers(anchor)}, seen users {AnchorWeights.SeenUsers(anchor)}{population}.");
        }

        text.AppendLine();
    }

    private static string Slug(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-').ToArray());
}
