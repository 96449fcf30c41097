using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
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
            ? new SyntheticPopulationOptions { Preset = "groups", SeenUsers = 66, UnseenUsers = 12 }
            : new SyntheticPopulationOptions { Preset = "groups" };
        var fewShot = new EvaluationOptions { ContextPairs = 10 };
        var kinds = RewardModelKinds.All.Where(k => k.IsAvailable && k.Name != "bt").ToList();
        var seeds = Enumerable.Range(context.Seed, Populations).ToArray();
        var seen = kinds.ToDictionary(k => k.Name, _ => new List<double>());
        var unseen = kinds.ToDictionary(k => k.Name, _ => new List<double>());
        foreach (var seed in seeds)
        {
            var population = SyntheticPopulation.Generate(sizes with { Seed = seed });
            var train = population.ToDataset(population.Train);
            var testSeen = population.ToDataset(population.TestSeen);
            var testUnseen = population.ToDataset(population.TestUnseen);

            async Task<(double Seen, double Unseen)> MeasureAsync(RewardModelKind kind)
            {
                context.Log($"  seeds: {kind.Name} on population {seed}");
                using var model = kind.Train(kind.DefaultOptions!() with { Seed = context.Seed, Device = "cpu" }, train, cancellationToken: cancellationToken);
                var s = await RewardModelEvaluator.EvaluateAsync(model, testSeen, cancellationToken: cancellationToken).ConfigureAwait(false);
                var u = await RewardModelEvaluator.EvaluateAsync(model, testUnseen, fewShot, cancellationToken).ConfigureAwait(false);
                return (s.Metrics.Accuracy, u.Metrics.Accuracy);
            }

            var baseline = await MeasureAsync(RewardModelKinds.Get("bt")).ConfigureAwait(false);
            foreach (var kind in kinds)
            {
                var measured = await MeasureAsync(kind).ConfigureAwait(false);
                seen[kind.Name].Add((measured.Seen - baseline.Seen) * 100);
                unseen[kind.Name].Add((measured.Unseen - baseline.Unseen) * 100);
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
            var cells = seen[kind.Name].Select(Points).Append($"**{Points(seen[kind.Name].Average())}**")
                .Concat(unseen[kind.Name].Select(Points)).Append($"**{Points(unseen[kind.Name].Average())}**");
            text.AppendLine($"| {kind.Name} | {string.Join(" | ", cells)} |");
        }

        return text.ToString();
    }
}
