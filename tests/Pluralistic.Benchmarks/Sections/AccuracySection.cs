using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Models;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>Every available model on every preset: seen and unseen accuracy beside the oracle and the best single reward.</summary>
internal sealed class AccuracySection : BenchmarkSection
{
    public override string Id => "accuracy";

    public override string Title => "Accuracy on the synthetic presets";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var options = new ExperimentOptions
        {
            Seed = context.Seed,
            Device = "cpu",
            ContextPairs = 10,
            Population = context.Quick ? new SyntheticPopulationOptions { SeenUsers = 60, UnseenUsers = 12 } : new SyntheticPopulationOptions(),
        };
        var rows = await PopulationExperiment.RunAsync(
            options,
            new Progress(context),
            cancellationToken).ConfigureAwait(false);
        AccuracyResults.Rows = rows;

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Populations from `SyntheticPopulation` (seed {context.Seed}; {options.Population.SeenUsers} seen users x {options.Population.TrainPairsPerUser} training pairs, {options.Population.TestPairsPerSeenUser} held-out pairs each; {options.Population.UnseenUsers} unseen users x {options.Population.UnseenPairsPerUser} pairs, the first {options.ContextPairs} used as context). Every model with its default options, trained on CPU. *Oracle* is each user's hidden reward on the same pairs; *best single* is the population-mean hidden reward; *gap closed* is (model - BT) / (oracle - BT). Context sensitivity is the fraction of unseen users' query predictions that flip when their context labels are flipped.");
        text.AppendLine();
        foreach (var preset in rows.Select(r => r.Preset).Distinct())
        {
            var presetRows = rows.Where(r => r.Preset == preset).ToList();
            text.AppendLine(CultureInfo.InvariantCulture, $"**{preset}** — {SyntheticPopulation.Describe(preset)}");
            text.AppendLine();
            var table = new MarkdownTable()
                .AddColumn("model")
                .AddColumn("seen", ColumnAlignment.Right)
                .AddColumn("seen oracle", ColumnAlignment.Right)
                .AddColumn("unseen (k=10)", ColumnAlignment.Right)
                .AddColumn("unseen oracle", ColumnAlignment.Right)
                .AddColumn("best single (seen)", ColumnAlignment.Right)
                .AddColumn("gap closed seen / unseen", ColumnAlignment.Right)
                .AddColumn("minority (seen)", ColumnAlignment.Right)
                .AddColumn("worst group (seen)", ColumnAlignment.Right)
                .AddColumn("ECE", ColumnAlignment.Right)
                .AddColumn("context sensitivity", ColumnAlignment.Right)
                .AddColumn("train s", ColumnAlignment.Right);
            foreach (var row in presetRows)
            {
                table.AddRow(
                    row.Model,
                    MetricsFormat.Percent(row.Seen.Accuracy),
                    MetricsFormat.Percent(row.Seen.OracleAccuracy),
                    MetricsFormat.Percent(row.Unseen.Accuracy),
                    MetricsFormat.Percent(row.Unseen.OracleAccuracy),
                    MetricsFormat.Percent(row.BestSingleSeen),
                    $"{MetricsFormat.Number(row.Seen.GapClosed, 2)} / {MetricsFormat.Number(row.Unseen.GapClosed, 2)}",
                    $"{row.MinorityGroup} {MetricsFormat.Percent(row.SeenMinorityAccuracy)}",
                    $"{row.Seen.WorstGroup} {MetricsFormat.Percent(row.Seen.WorstGroupAccuracy)}",
                    MetricsFormat.Number(row.Seen.Ece),
                    MetricsFormat.Number(row.ContextSensitivity, 2),
                    row.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
            }

            text.AppendLine(table.ToString());
            if (presetRows.FirstOrDefault(r => r.Model == "bt") is { } bt)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Bradley-Terry (MLP head) reaches {bt.Seen.Accuracy / bt.BestSingleSeen:F3} of the best single reward's accuracy on seen users.");
                text.AppendLine();
            }
        }

        return text.ToString();
    }

    private sealed class Progress(BenchmarkContext context) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value)
        {
            if (value.Training is null)
            {
                context.Log($"  accuracy: {value.Preset}{(value.Model is null ? string.Empty : " / " + value.Model)}: {value.Step}");
            }
        }
    }
}

/// <summary>The accuracy rows, shared with later sections that plot them.</summary>
internal static class AccuracyResults
{
    public static IReadOnlyList<ExperimentRow> Rows { get; set; } = [];

    public static IReadOnlyList<string> Models => RewardModelKinds.AvailableNames;
}
