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

    private const int ContextPairs = 10;

    /// <summary>Further unseen users per population: about ±0.35 points where the 60 default ones give about ±1.1.</summary>
    private const int HeldOutUsers = 600;

    /// <summary>Further held-out pairs per seen user, where the 20 default ones give about ±0.9 points.</summary>
    private const int HeldOutSeenPairs = 200;

    public override string Id => "seeds";

    public override string Title => "Groups preset on three populations: every method against BT";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var sizes = context.PopulationSizes;
        var kinds = RewardModelKinds.BuiltIn.Names.Where(k => k != "bt").ToList();

        // The methods, then the simple personal baseline a reviewer asks for (the item references need item ids).
        var reference = new UserLinearReference();
        var labels = kinds.Append($"{reference.Name} (reference)").ToList();
        var seeds = Enumerable.Range(context.Seed, Populations).ToArray();
        var seen = labels.ToDictionary(k => k, _ => new List<AccuracyDifference>());
        var unseen = labels.ToDictionary(k => k, _ => new List<AccuracyDifference>());
        var heldOut = labels.ToDictionary(k => k, _ => new List<AccuracyDifference>());
        var heldOutSeen = labels.ToDictionary(k => k, _ => new List<AccuracyDifference>());
        var heldOutUsers = context.Quick ? 60 : HeldOutUsers;
        var heldOutSeenPairs = context.Quick ? 20 : HeldOutSeenPairs;
        var ceiling = new List<double>();
        var heldOutCeiling = new List<double>();
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
                    ContextPairs = ContextPairs,
                    HeldOutUsers = heldOutUsers,
                    HeldOutSeenPairs = heldOutSeenPairs,
                    ConfigureTrainer = o => o with { Seed = context.Seed },
                    References = [reference],
                },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var row in rows.Where(r => !r.IsBaseline))
            {
                seen[row.Label].Add(row.SeenOverBaseline!);
                unseen[row.Label].Add(row.UnseenOverBaseline!);
                heldOut[row.Label].Add(row.HeldOutOverBaseline!);
                heldOutSeen[row.Label].Add(row.HeldOutSeenOverBaseline!);
            }

            // The same population again (generation is deterministic), for its hidden rewards.
            var population = SyntheticPopulation.Generate(sizes with { Preset = "groups", Seed = seed });
            var bayes = FewShotOracle.BayesOverPopulation(population.ToDataset(population.TestUnseen), ContextPairs, population.SeenUsers, population.TrueReward);
            var baseline = rows.Single(r => r.IsBaseline);
            ceiling.Add((bayes - baseline.Unseen.Accuracy) * 100);

            // PopulationExperiment draws its held-out users with the population's seed; the same draw again here.
            var drawn = population.ToDataset(population.DrawHeldOutUsers(heldOutUsers, sizes.UnseenPairsPerUser, seed));
            var heldOutBayes = FewShotOracle.BayesOverPopulation(drawn, ContextPairs, population.SeenUsers, population.TrueReward);
            heldOutCeiling.Add((heldOutBayes - baseline.HeldOut!.Accuracy) * 100);
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Population seeds {string.Join(", ", seeds)} at the accuracy section's sizes ({sizes.SeenUsers} seen users x {sizes.TrainPairsPerUser} pairs, {sizes.UnseenUsers} unseen users with {ContextPairs} context pairs); every method with its default options, trainer seed {context.Seed}, and the reference row *user-linear* ({reference.Description}), fitted on the same training pairs. Points above BT on the same pairs, ± one standard error clustered by user (`PairedComparison`; the mean's error combines the three populations' errors, so it covers the draw of pairs and users within them).");
        text.AppendLine();
        AppendTable(text, labels, seeds, s => $"seen, pop. {s}", seen, s => $"unseen@10, pop. {s}", unseen, ceiling);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"The last row is not a model: exact Bayesian inference for each unseen user from the same {ContextPairs} context pairs with the {sizes.SeenUsers} seen users' *hidden* rewards as the prior (`FewShotOracle`), scored on the same queries. A model that had learned every seen user exactly and inferred exactly would score it; a method learns the seen users from {sizes.TrainPairsPerUser} noisy pairs each and can go beyond the row only by generalising between them.");

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Precisely.** Sixty unseen users, or 20 held-out pairs per seen user, measure a margin to about ±1 point, as large as the gap between some figures and their targets. So each population also draws {heldOutSeenPairs} further held-out pairs for every seen user and {heldOutUsers} further unseen users ({sizes.UnseenPairsPerUser} pairs each), from their own random streams (the training data and the models above are unchanged; `SyntheticPopulation.DrawHeldOutPairs` / `DrawHeldOutUsers`, `ExperimentOptions.HeldOutSeenPairs` / `HeldOutUsers`), and the same trained models are scored on them, unseen users after {ContextPairs} context pairs:");
        text.AppendLine();
        AppendTable(text, labels, seeds, s => $"seen, {heldOutSeenPairs} pairs/user, pop. {s}", heldOutSeen, s => $"unseen@10, {heldOutUsers} users, pop. {s}", heldOut, heldOutCeiling);

        return text.ToString();
    }

    /// <summary>
    /// One table: per model the seen margins per population and their mean, then the unseen ones, and a last row with
    /// the Bayes reference for the unseen columns.
    /// </summary>
    private static void AppendTable(
        StringBuilder text,
        IReadOnlyList<string> kinds,
        int[] seeds,
        Func<int, string> seenColumn,
        Dictionary<string, List<AccuracyDifference>> seen,
        Func<int, string> unseenColumn,
        Dictionary<string, List<AccuracyDifference>> unseen,
        List<double> ceiling)
    {
        var header = string.Join(" | ", seeds.Select(seenColumn)) + " | **seen, mean** | " + string.Join(" | ", seeds.Select(unseenColumn)) + " | **unseen@10, mean**";
        text.AppendLine($"| model | {header} |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", (2 * seeds.Length) + 2)));
        foreach (var kind in kinds)
        {
            var cells = seen[kind].Select(d => d.ToPoints()).Append($"**{Mean(seen[kind]).ToPoints()}**")
                .Concat(unseen[kind].Select(d => d.ToPoints())).Append($"**{Mean(unseen[kind]).ToPoints()}**");
            text.AppendLine($"| {kind} | {string.Join(" | ", cells)} |");
        }

        var reference = Enumerable.Repeat("-", seeds.Length + 1)
            .Concat(ceiling.Select(c => c.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)))
            .Append($"**{ceiling.Average().ToString("+0.0;-0.0", CultureInfo.InvariantCulture)}**");
        text.AppendLine($"| *Bayes over the seen users' true rewards* | {string.Join(" | ", reference)} |");
    }

    /// <summary>The mean over independent populations; its error is the root of the summed variances over n.</summary>
    private static AccuracyDifference Mean(List<AccuracyDifference> differences) => new(
        differences.Average(d => d.Difference),
        Math.Sqrt(differences.Sum(d => d.StandardError * d.StandardError)) / differences.Count,
        differences.Sum(d => d.Users),
        differences.Sum(d => d.Pairs));
}
