using System.Globalization;
using System.Text;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The population anchor (the default) on the synthetic presets: every method trained alone and anchored on the same
/// population and pairs, the margins over BT side by side and how much of each the anchor keeps, and the worst group
/// (the minority the anchor must not trade for the average).
/// </summary>
internal sealed class AnchorPresetsSection : BenchmarkSection
{
    public override string Id => "anchor";

    public override string Title => "Population anchor on the synthetic presets";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var presets = PreparedPopulation.DemoPresets;
        async Task<IReadOnlyList<ExperimentRow>> Run(bool anchored)
        {
            context.Log($"  anchor: every method on every preset, {(anchored ? "anchored" : "alone")}");
            return await PopulationExperiment.RunAsync(
                new ExperimentOptions
                {
                    Presets = presets,
                    Seed = context.Seed,
                    Device = "cpu",
                    Population = context.PopulationSizes,
                    ConfigureTrainer = o => o with { PopulationAnchor = anchored },
                },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var alone = await Run(anchored: false).ConfigureAwait(false);
        var anchoredRows = await Run(anchored: true).ConfigureAwait(false);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"The accuracy section's populations and sizes (seed {context.Seed}), every method trained twice on the same pairs: alone (`RewardTrainerOptions.PopulationAnchor = false`, `train --anchor false`; the default until 2026-12-07) and anchored to a population reward trained beside it (the default; docs/architecture.md). Points over BT on the same pairs ± one standard error clustered by user; *kept* is the anchored seen margin as a share of the margin alone (where the margin alone is above one standard error); *worst group* is the seen users' worst group. Sixty unseen users measure a margin to about ±1 point.");
        text.AppendLine();
        var table = new MarkdownTable()
            .AddColumn("preset")
            .AddColumn("model")
            .AddColumn("seen over BT, alone", ColumnAlignment.Right)
            .AddColumn("seen over BT, anchored", ColumnAlignment.Right)
            .AddColumn("kept", ColumnAlignment.Right)
            .AddColumn("unseen@10 over BT, alone", ColumnAlignment.Right)
            .AddColumn("unseen@10 over BT, anchored", ColumnAlignment.Right)
            .AddColumn("worst group (seen), alone", ColumnAlignment.Right)
            .AddColumn("worst group (seen), anchored", ColumnAlignment.Right);
        foreach (var row in alone.Where(r => !r.IsBaseline && !r.IsReference))
        {
            var anchored = anchoredRows.Single(r => r.Preset == row.Preset && r.Model == row.Model);
            var ownMargin = row.SeenOverBaseline!;
            var kept = ownMargin.Difference > Math.Max(ownMargin.StandardError, 1e-9)
                ? (anchored.SeenOverBaseline!.Difference / ownMargin.Difference).ToString("P0", CultureInfo.InvariantCulture)
                : MetricsFormat.Missing;
            table.AddRow(
                row.Preset,
                row.Model,
                ownMargin.ToPoints(),
                anchored.SeenOverBaseline!.ToPoints(),
                kept,
                row.UnseenOverBaseline!.ToPoints(),
                anchored.UnseenOverBaseline!.ToPoints(),
                row.Seen.WorstGroup is null ? MetricsFormat.Missing : $"{row.Seen.WorstGroup} {MetricsFormat.Percent(row.Seen.WorstGroupAccuracy)}",
                anchored.Seen.WorstGroup is null ? MetricsFormat.Missing : $"{anchored.Seen.WorstGroup} {MetricsFormat.Percent(anchored.Seen.WorstGroupAccuracy)}");
        }

        text.AppendLine(table.ToString());
        return text.ToString();
    }
}
