using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Runs;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Where the paraphrase preset's shortfall lies: how far its unseen users can be served from 10 context pairs at all
/// (the Bayes ceiling of a reader who knows the generator and perceives every sentence perfectly), whether the
/// embedders' vectors separate the sides of reworded answers (a probe), and where the methods lose, by kind of pair.
/// </summary>
internal sealed class ParaphraseCeilingSection : BenchmarkSection
{
    private static readonly string[] Embedders = [TextEmbedderKinds.MiniLm, TextEmbedderKinds.Hashed];
    private static readonly string[] PairKinds = [SyntheticParaphrasePopulation.ContestedPair, SyntheticParaphrasePopulation.QualityPair, SyntheticParaphrasePopulation.OffTopicPair];

    public override string Id => "paraphrase-ceiling";

    public override string Title => "Paraphrased text: what 10 pairs allow, what the vectors carry, where the methods lose";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        int[] seeds = context.Quick ? [context.Seed] : [context.Seed, context.Seed + 1];
        const int ContextPairs = 10;
        var text = new StringBuilder();
        var bayesWorst = new List<double>();
        var probeLowest = new Dictionary<string, double>(StringComparer.Ordinal);
        var methodWorst = new List<double>();
        var readingsWorst = new List<double>();
        var groupOnlyWorst = new List<double>();
        text.AppendLine(CultureInfo.InvariantCulture, $"The paraphrase preset above (same sizes and seeds). *Bayes* predicts each unseen user's queries from the posterior over hidden tastes given the user's first k pairs, with the generator itself as the prior (group shares, stance strengths, mavericks) and perfect perception (it knows which latent answer every sentence is): no method can expect more from the same context; k = 0 is the best any population-level reward can do. Same queries as every method's *unseen after 10* ({ContextPairs} context pairs, the rest scored).");
        text.AppendLine();
        text.AppendLine("| seed | context pairs k | Bayes, all queries | worst group | contested | quality | off-topic |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var seed in seeds)
        {
            var population = SyntheticParaphrasePopulation.Generate(context.PopulationSizes with { Seed = seed });
            foreach (var k in new[] { 0, 1, 3, ContextPairs })
            {
                context.Log($"  paraphrase-ceiling: Bayes, seed {seed}, k {k}");
                var bayes = population.ContextBayes(k);
                var (group, worst) = bayes.WorstGroup;
                if (k == ContextPairs)
                {
                    bayesWorst.Add(worst);
                }

                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {seed} | {k} | {MetricsFormat.Percent(bayes.Accuracy)} | {group} {MetricsFormat.Percent(worst)} | {string.Join(" | ", PairKinds.Select(p => MetricsFormat.Percent(bayes.PerPairKind.GetValueOrDefault(p, double.NaN))))} |");
            }
        }

        text.AppendLine();
        text.AppendLine("**Do the vectors carry the sides?** For every contested topic, a direction is fitted on the *training* phrasings only (the difference of the two sides' mean vectors) and ranks every pair of *test* phrasings (one per side, worded differently from every training sentence): the share ranked the right way round. 100% means one linear reading of the vectors tells the sides of reworded answers apart without error.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| embedder | {string.Join(" | ", SyntheticParaphrasePopulation.ContestedTopics)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(SyntheticParaphrasePopulation.ContestedTopics.Select(_ => "---|"))}");
        foreach (var name in Embedders)
        {
            context.Log($"  paraphrase-ceiling: probe, {name}");
            var train = SyntheticParaphrasePopulation.ContestedPhrasings(test: false);
            var test = SyntheticParaphrasePopulation.ContestedPhrasings(test: true);
            using var embedder = TextEmbedderKinds.Get(name).Create([.. train.SelectMany(t => t.FirstSide.Concat(t.SecondSide))]);
            var cells = new List<string>();
            for (var t = 0; t < train.Count; t++)
            {
                var direction = Difference(Mean(await EmbedAsync(embedder, train[t].FirstSide, cancellationToken).ConfigureAwait(false)), Mean(await EmbedAsync(embedder, train[t].SecondSide, cancellationToken).ConfigureAwait(false)));
                var first = await EmbedAsync(embedder, test[t].FirstSide, cancellationToken).ConfigureAwait(false);
                var second = await EmbedAsync(embedder, test[t].SecondSide, cancellationToken).ConfigureAwait(false);
                var right = first.Sum(a => second.Count(b => TensorPrimitives.Dot(direction, a) > TensorPrimitives.Dot(direction, b)));
                var share = (double)right / (first.Count * second.Count);
                probeLowest[name] = Math.Min(probeLowest.GetValueOrDefault(name, 1.0), share);
                cells.Add(MetricsFormat.Percent(share));
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {string.Join(" | ", cells)} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"**Where the methods lose.** Bradley-Terry and DPA (the best worst group in the table above) with the sentence encoder and default options, unseen users after {ContextPairs} context pairs, by kind of pair, beside Bayes on the same queries, and beside *readings, kind and group known*: a diagnostic that is told each pair's kind and each user's hidden group (no deployment knows either) and reads the MiniLM vectors with one simple reading per kind, fitted on the training pairs of that kind only — a linear reading of the response difference for quality pairs, one per group for contested pairs, a rank-8 bilinear prompt x response reading for off-topic pairs. It shows what the vectors allow a method that learns the kinds of signal apart. *Readings, group known, kind not* is told each user's group but not the pair's kind: one fit on every training pair, a linear reading of the response difference per group plus one shared rank-8 bilinear prompt x response reading, the shape of a personalized reward whose users' groups are given, its penalties the best of a small grid judged on these very queries (so the row is optimistic); it shows what knowing the kinds is worth:");
        text.AppendLine();
        text.AppendLine("| seed | model | all queries | worst group | contested | quality | off-topic |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var seed in seeds)
        {
            context.Log($"  paraphrase-ceiling: methods by pair kind, seed {seed}");
            var options = new ExperimentOptions
            {
                Presets = [SyntheticParaphrasePopulation.PresetName],
                Seed = seed,
                Device = "cpu",
                ContextPairs = ContextPairs,
                TextEmbedder = TextEmbedderKinds.MiniLm,
                Population = context.PopulationSizes,
                Models = ["bt", "dpa"],
            };
            var sizes = context.PopulationSizes with { Seed = seed };
            var records = PreparedPopulation.GenerateText(SyntheticParaphrasePopulation.PresetName, sizes)!;
            var kinds = PairKindsOf(records.TestUnseen);
            var trainKinds = PairKindsOf(records.Train);
            var prepared = await PreparedPopulation.CreateAsync(SyntheticParaphrasePopulation.PresetName, sizes, TextEmbedderKinds.MiniLm, cancellationToken).ConfigureAwait(false);
            using (prepared.Embedder)
            {
                IReadOnlyList<int>? queries = null;
                foreach (var row in (await PopulationExperiment.RunAsync(prepared, options, null, cancellationToken).ConfigureAwait(false)).Rows)
                {
                    queries ??= row.UnseenEvaluation.Records;
                    var byKind = ByKind(row.UnseenEvaluation, kinds);
                    if (!row.IsBaseline)
                    {
                        methodWorst.Add(row.Unseen.WorstGroupAccuracy ?? double.NaN);
                    }

                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"| {seed} | {row.Model} | {MetricsFormat.Percent(row.Unseen.Accuracy)} | {row.Unseen.WorstGroup} {MetricsFormat.Percent(row.Unseen.WorstGroupAccuracy)} | {string.Join(" | ", PairKinds.Select(p => MetricsFormat.Percent(byKind.GetValueOrDefault(p, double.NaN))))} |");
                }

                context.Log($"  paraphrase-ceiling: readings by kind and group, seed {seed}");
                var right = ParaphraseKindReadings.Score(prepared.Train, trainKinds, prepared.TestUnseen, kinds, queries!, seed);
                readingsWorst.Add(WorstGroup(prepared.TestUnseen, queries!, right).Accuracy);
                text.AppendLine(ReadingRow(seed, "readings, kind and group known", prepared.TestUnseen, kinds, queries!, right));

                context.Log($"  paraphrase-ceiling: readings by group, kinds not told, seed {seed}");
                var kindsUnknown = ParaphraseKindReadings.ScoreKindsUnknown(prepared.Train, prepared.TestUnseen, queries!, seed);
                groupOnlyWorst.Add(WorstGroup(prepared.TestUnseen, queries!, kindsUnknown).Accuracy);
                text.AppendLine(ReadingRow(seed, "readings, group known, kind not", prepared.TestUnseen, kinds, queries!, kindsUnknown));
            }

            var bayes = SyntheticParaphrasePopulation.Generate(sizes).ContextBayes(ContextPairs);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {seed} | Bayes | {MetricsFormat.Percent(bayes.Accuracy)} | {bayes.WorstGroup.Group} {MetricsFormat.Percent(bayes.WorstGroup.Accuracy)} | {string.Join(" | ", PairKinds.Select(p => MetricsFormat.Percent(bayes.PerPairKind.GetValueOrDefault(p, double.NaN))))} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Reading: after {ContextPairs} context pairs the Bayes ceiling's worst group is {MetricsFormat.Percent(bayesWorst.Min())}-{MetricsFormat.Percent(bayesWorst.Max())} over the seeds, DPA's {MetricsFormat.Percent(methodWorst.Min())}-{MetricsFormat.Percent(methodWorst.Max())}, the readings told each pair's kind and user's group {MetricsFormat.Percent(readingsWorst.Min())}-{MetricsFormat.Percent(readingsWorst.Max())}, told the user's group but not the pair's kind {MetricsFormat.Percent(groupOnlyWorst.Min())}-{MetricsFormat.Percent(groupOnlyWorst.Max())}; one linear direction learned from training phrasings ranks the sides of reworded test answers right in at least {MetricsFormat.Percent(probeLowest[TextEmbedderKinds.MiniLm])} of pairs with the sentence encoder ({MetricsFormat.Percent(probeLowest[TextEmbedderKinds.Hashed])} with hashed n-grams). Where the ceiling is high and the vectors separate the sides, the gap is the methods', in two steps: from DPA to the reading told each user's group lies reading a new user's side from a few pairs and carrying it to topics the context did not cover (the contested column); from there to the readings told the kinds lies keeping apart, in one reward over reworded text, the signals everyone shares (answers to another question, dismissive answers) and the sides users take.");
        return text.ToString();
    }

    private static (string Group, double Accuracy) WorstGroup(PreferenceDataset test, IReadOnlyList<int> queries, bool[] right) =>
        queries.Select((r, j) => (Group: test.GroupAt(r) ?? "-", Right: right[j]))
            .GroupBy(x => x.Group, StringComparer.Ordinal).Select(g => (g.Key, Accuracy: g.Average(x => x.Right ? 1.0 : 0))).MinBy(g => g.Accuracy);

    private static string ReadingRow(int seed, string name, PreferenceDataset test, string[] kinds, IReadOnlyList<int> queries, bool[] right)
    {
        var (group, worst) = WorstGroup(test, queries, right);
        var byKind = PairKinds.Select(p => queries.Select((r, j) => (r, j)).Where(x => kinds[x.r] == p).Average(x => right[x.j] ? 1.0 : 0));
        return string.Create(CultureInfo.InvariantCulture,
            $"| {seed} | {name} | {MetricsFormat.Percent(right.Average(x => x ? 1.0 : 0))} | {group} {MetricsFormat.Percent(worst)} | {string.Join(" | ", byKind.Select(a => MetricsFormat.Percent(a)))} |");
    }

    private static async Task<List<float[]>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        [.. (await embedder.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false)).Select(e => e.Vector.ToArray())];

    private static float[] Mean(List<float[]> vectors)
    {
        var mean = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            TensorPrimitives.Add(mean, v, mean);
        }

        TensorPrimitives.Divide(mean, vectors.Count, mean);
        return mean;
    }

    private static float[] Difference(float[] a, float[] b)
    {
        var d = new float[a.Length];
        TensorPrimitives.Subtract(a, b, d);
        return d;
    }

    private static string[] PairKindsOf(IReadOnlyList<PreferenceRecord> records) =>
        [.. records.Select(r => r.ExtensionData![SyntheticParaphrasePopulation.PairKey].GetString()!)];

    private static Dictionary<string, double> ByKind(EvaluationResult evaluation, string[] kinds)
    {
        var tally = new Dictionary<string, (int Right, int Count)>(StringComparer.Ordinal);
        for (var j = 0; j < evaluation.Records.Count; j++)
        {
            var kind = kinds[evaluation.Records[j]];
            var right = evaluation.Predictions.RewardChosen[j] > evaluation.Predictions.RewardRejected[j] ? 1 : 0;
            tally[kind] = tally.TryGetValue(kind, out var t) ? (t.Right + right, t.Count + 1) : (right, 1);
        }

        return tally.ToDictionary(t => t.Key, t => (double)t.Value.Right / t.Value.Count, StringComparer.Ordinal);
    }
}
