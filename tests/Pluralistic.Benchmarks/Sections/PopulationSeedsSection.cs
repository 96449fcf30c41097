using System.Globalization;
using System.Text;
using Pluralistic.Data;
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
        var seen = kinds.ToDictionary(k => k, _ => new List<double>());
        var unseen = kinds.ToDictionary(k => k, _ => new List<double>());
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
            var baseline = rows.Single(r => r.Model == "bt");
            foreach (var row in rows.Where(r => r.Model != "bt"))
            {
                seen[row.Model].Add((row.Seen.Accuracy - baseline.Seen.Accuracy) * 100);
                unseen[row.Model].Add((row.Unseen.Accuracy - baseline.Unseen.Accuracy) * 100);
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Population seeds {string.Join(", ", seeds)} at the accuracy section's sizes ({sizes.SeenUsers} seen users x {sizes.TrainPairsPerUser} pairs, {sizes.UnseenUsers} unseen users with 10 context pairs); every method with its default options, trainer seed {context.Seed}. Points above BT on the same population.");
        text.AppendLine();
        var header = string.Join(" | ", seeds.Select(s => $"seen, pop. {s}")) + " | **seen, mean** | " + string.Join(" | ", seeds.Select(s => $"unseen@10, pop. {s}")) + " | **unseen@10, mean**";
        text.AppendLine($"| model | {header} |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", (2 * seeds.Length) + 2)));
        static string Points(double value) => value.ToString("+0.0;-0.0", CultureInfo.InvariantCulture);
        foreach (var kind in kinds)
        {
            var cells = seen[kind].Select(Points).Append($"**{Points(seen[kind].Average())}**")
                .Concat(unseen[kind].Select(Points)).Append($"**{Points(unseen[kind].Average())}**");
            text.AppendLine($"| {kind} | {string.Join(" | ", cells)} |");
        }

        return text.ToString();
    }
}
