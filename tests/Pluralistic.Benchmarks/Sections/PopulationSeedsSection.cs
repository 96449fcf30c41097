using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Models;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The groups-preset targets (seen, and unseen after 10 context pairs, against Bradley-Terry) for every method on
/// three populations, so no claim rests on one seed's draw of users: the per-seed spread of these differences is
/// several points, as large as some targets.
/// </summary>
internal sealed class PopulationSeedsSection : BenchmarkSection
{
    private const int Populations = 3;

    public override string Id => "seeds";

    public override string Title => "Groups preset on three populations: every method against BT";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var sizes = context.Quick
            ? new SyntheticPopulationOptions { SeenUsers = 66, UnseenUsers = 12 }
            : new SyntheticPopulationOptions();
        var kinds = RewardModelKinds.AvailableNames.Where(k => k != "bt").ToList();
        var seeds = Enumerable.Range(context.Seed, Populations).ToArray();
        var seen = kinds.ToDictionary(k => k, _ => new List<AccuracyDifference>());
        var unseen = kinds.ToDictionary(k => k, _ => new List<AccuracyDifference>());
        foreach (var seed in seeds)
        {
            // The accuracy section's experiment on one preset; only the population seed varies, the trainers keep theirs.
            context.Log($"  seeds: every method on groups population {seed}");
            var rows = await PopulationExperiment.RunAsync(
                new ExperimentOptions
                {
                    Presets = ["groups"],
                    Models = ["bt", .. kinds],
                    Seed = seed,
                    Device = "cpu",
                    Population = sizes,
                    ConfigureTrainer = o => o with { Seed = context.Seed },
                },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var row in rows.Where(r => r.Model != "bt"))
            {
                seen[row.Model].Add(row.SeenOverBaseline!);
                unseen[row.Model].Add(row.UnseenOverBaseline!);
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Population seeds {string.Join(", ", seeds)} at the accuracy section's sizes ({sizes.SeenUsers} seen users x {sizes.TrainPairsPerUser} pairs, {sizes.UnseenUsers} unseen users with 10 context pairs); every method with its default options, trainer seed {context.Seed}. Points above BT on the same pairs, ± one standard error clustered by user (`PairedComparison`; the mean's error combines the three populations' errors, so it covers the draw of pairs and users within them).");
        text.AppendLine();
        var header = string.Join(" | ", seeds.Select(s => $"seen, pop. {s}")) + " | **seen, mean** | " + string.Join(" | ", seeds.Select(s => $"unseen@10, pop. {s}")) + " | **unseen@10, mean**";
        text.AppendLine($"| model | {header} |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", (2 * seeds.Length) + 2)));
        foreach (var kind in kinds)
        {
            var cells = seen[kind].Select(d => d.ToPoints()).Append($"**{Mean(seen[kind]).ToPoints()}**")
                .Concat(unseen[kind].Select(d => d.ToPoints())).Append($"**{Mean(unseen[kind]).ToPoints()}**");
            text.AppendLine($"| {kind} | {string.Join(" | ", cells)} |");
        }

        return text.ToString();
    }

    /// <summary>The mean over independent populations; its error is the root of the summed variances over n.</summary>
    private static AccuracyDifference Mean(List<AccuracyDifference> differences) => new(
        differences.Average(d => d.Difference),
        Math.Sqrt(differences.Sum(d => d.StandardError * d.StandardError)) / differences.Count,
        differences.Sum(d => d.Users),
        differences.Sum(d => d.Pairs));
}
