using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The paraphrase preset (test and context sentences worded differently from every training sentence) with the sentence
/// encoder and with the hashed generator, every method, on two populations (seeds): how much meaning the encoder buys.
/// </summary>
internal sealed class ParaphraseSection : BenchmarkSection
{
    private static readonly string[] Embedders = ["minilm", "hashed"];

    // The simple personal baseline, and a linear reward per group that knows every user's group (how far the vectors carry a taste).
    private static readonly ReferenceModel[] References = [new UserLinearReference(), new GroupLinearReference()];

    public override string Id => "paraphrase";

    public override string Title => "Paraphrased text: sentence encoder against hashed n-grams";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        // Two populations: the claim must hold on users and sentences drawn afresh, not on one draw.
        int[] seeds = context.Quick ? [context.Seed] : [context.Seed, context.Seed + 1];
        var rows = new List<(int Seed, string Embedder, ExperimentRow Row)>();
        foreach (var seed in seeds)
        {
            foreach (var embedder in Embedders)
            {
                var options = new ExperimentOptions
                {
                    Presets = [SyntheticParaphrasePopulation.PresetName],
                    Seed = seed,
                    Device = "cpu",
                    ContextPairs = 10,
                    TextEmbedder = embedder,
                    Population = context.PopulationSizes,
                    References = References,
                };
                context.Log($"  paraphrase: seed {seed}, {embedder}");
                foreach (var row in await PopulationExperiment.RunAsync(options, null, cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((seed, embedder, row));
                }
            }
        }

        var sizes = context.PopulationSizes;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"`SyntheticParaphrasePopulation` (`generate --preset paraphrase`): {SyntheticParaphrasePopulation.Describe()}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Seeds {string.Join(" and ", seeds)} (two independent populations: users, prompts and sentences drawn afresh); {sizes.SeenUsers} seen users x {sizes.TrainPairsPerUser} training pairs, {sizes.UnseenUsers} unseen users adapted from their first 10 pairs. Every method with its default options; the same pairs for both embedders. Two reference rows: *user-linear* (a per-user linear reward with a prior centred on the population's, the simple personal baseline) and *group-linear*, a diagnostic that reads each user's hidden group (no deployment knows it) and fits one linear reward per group on the response vectors (prompts unused, so it cannot tell an answer to another question from an answer to this one): its *contested* column is what one regularised linear fit per group makes of the vectors, not a bound on them (the next section probes the vectors directly and gives the Bayes ceiling of 10 context pairs). *Worst group* and *contested* are unseen users' queries after 10 context pairs (contested: pairs on which the groups disagree); *oracle* scores the same queries with each user's hidden reward, *best single* with the population-mean hidden reward.");
        text.AppendLine();
        text.AppendLine("| seed | method | embedder | seen | unseen after 10 | worst group (unseen) | contested (unseen) | oracle / best single (unseen) | train s |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (seed, embedder, row) in rows.OrderBy(r => r.Seed).ThenBy(r => r.Row.IsReference).ThenBy(r => r.Row.Model, StringComparer.Ordinal).ThenBy(r => Array.IndexOf(Embedders, r.Embedder)))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {seed} | {row.Model} | {embedder} | {MetricsFormat.Percent(row.Seen.Accuracy)} | {MetricsFormat.Percent(row.Unseen.Accuracy)} | {row.Unseen.WorstGroup} {MetricsFormat.Percent(row.Unseen.WorstGroupAccuracy)} | {MetricsFormat.Percent(row.UnseenContested?.Accuracy)} | {MetricsFormat.Percent(row.Unseen.OracleAccuracy)} / {MetricsFormat.Percent(row.BestSingleUnseen)} | {row.TrainSeconds:F0} |");
        }

        text.AppendLine();
        foreach (var seed in seeds)
        {
            foreach (var embedder in Embedders)
            {
                var best = rows.Where(r => r.Seed == seed && r.Embedder == embedder && !r.Row.IsReference && !r.Row.IsBaseline)
                    .MaxBy(r => r.Row.Unseen.WorstGroupAccuracy ?? 0);
                var bt = rows.FirstOrDefault(r => r.Seed == seed && r.Embedder == embedder && r.Row.IsBaseline);
                var groupLinear = rows.FirstOrDefault(r => r.Seed == seed && r.Embedder == embedder && r.Row.Model == GroupLinearReference.ReferenceName);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"- Seed {seed}, {embedder}: best worst group of unseen users {best.Row.Model} {MetricsFormat.Percent(best.Row.Unseen.WorstGroupAccuracy)}; Bradley-Terry's worst group {MetricsFormat.Percent(bt.Row?.Unseen.WorstGroupAccuracy)}; on contested pairs the best method reaches {MetricsFormat.Percent(rows.Where(r => r.Seed == seed && r.Embedder == embedder && !r.Row.IsReference).Max(r => r.Row.UnseenContested?.Accuracy))} and group-linear, knowing every user's group, {MetricsFormat.Percent(groupLinear.Row?.UnseenContested?.Accuracy)}.");
            }
        }

        return text.ToString();
    }
}
