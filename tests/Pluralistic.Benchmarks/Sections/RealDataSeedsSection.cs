using System.Globalization;
using System.Text;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The real-data section's two full shapes (vectors and text) on two further seeds: the import's pair sampling, the
/// user split and every trainer drawn afresh. One seed's margin of a point can be that seed's luck; a figure a product
/// may rely on should hold across them. Skipped with a note when no MovieLens folder is given.
/// </summary>
internal sealed class RealDataSeedsSection : BenchmarkSection
{
    private const int ContextPairs = 10;

    public override string Id => "real-data-seeds";

    public override string Title => "Real data: MovieLens 100k on other seeds";

    public override Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken) =>
        MovieLensForms.MeasureAsync(context, work => MeasureAsync(context, work, cancellationToken));

    private static async Task<string> MeasureAsync(BenchmarkContext context, DirectoryInfo work, CancellationToken cancellationToken)
    {
        var seeds = new[] { context.Seed + 1, context.Seed + 2 };
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"The previous section's genre + year vectors and MiniLM text on seeds {string.Join(" and ", seeds)} (`import ratings --seed S`, then `compare --seed S --context-pairs {ContextPairs}`: other pairs sampled from the ratings, another user split, every trainer seeded afresh){(context.Quick ? " (QUICK: the first 150 users only)" : string.Empty)}. Every method with its defaults, the reference rows beside them; new users after {ContextPairs} context pairs. Points over BT ± the standard error clustered by user.");
        text.AppendLine();
        var table = new MarkdownTable()
            .AddColumn("items as")
            .AddColumn("seed", ColumnAlignment.Right)
            .AddColumn("row")
            .AddColumn("seen", ColumnAlignment.Right)
            .AddColumn(string.Create(CultureInfo.InvariantCulture, $"new users, k = {ContextPairs}"), ColumnAlignment.Right)
            .AddColumn(string.Create(CultureInfo.InvariantCulture, $"points over BT, seen / new k = {ContextPairs}"), ColumnAlignment.Right);
        var readings = new List<string>();
        foreach (var vectors in new[] { true, false })
        {
            var form = MovieLensForms.Name(vectors, null);
            foreach (var seed in seeds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (split, pairs) = await MovieLensForms.LoadAsync(context, work, vectors, null, seed, cancellationToken).ConfigureAwait(false);
                context.Log($"  real data seeds ({form}, seed {seed}): {pairs} pairs of {split.Summary.Users} users");
                var run = await PopulationExperiment.RunAsync(split.Population, new ExperimentOptions
                {
                    References = ReferenceModels.All,
                    Seed = seed,
                    ContextPairs = ContextPairs,
                    Device = "cpu",
                }, null, cancellationToken).ConfigureAwait(false);
                foreach (var row in run.Rows)
                {
                    table.AddRow(
                        form,
                        seed.ToString(CultureInfo.InvariantCulture),
                        row.Label,
                        MetricsFormat.Percent(row.Seen.Accuracy),
                        MetricsFormat.Percent(row.Unseen.Accuracy),
                        row.IsBaseline || row.SeenOverBaseline is null || row.UnseenOverBaseline is null ? MetricsFormat.Missing : $"{row.SeenOverBaseline.ToPoints()} / {row.UnseenOverBaseline.ToPoints()}");
                }

                readings.Add(Reading(form, seed, run.Rows));
            }
        }

        text.AppendLine(table.ToString());
        foreach (var reading in readings)
        {
            text.AppendLine(reading);
        }

        return text.ToString();
    }

    // The issue-19 questions on one seed: the best method against BT on new users, and against the strongest reference on seen users.
    private static string Reading(string form, int seed, IReadOnlyList<ExperimentRow> rows)
    {
        var methods = rows.Where(r => !r.IsReference && !r.IsBaseline).ToArray();
        var references = rows.Where(r => r.IsReference).ToArray();
        if (methods.Length == 0)
        {
            return $"- {form}, seed {seed}: no personalized method ran.";
        }

        var bestNew = methods.MaxBy(r => r.UnseenOverBaseline?.Difference ?? double.NegativeInfinity)!;
        var bestSeen = methods.MaxBy(r => r.Seen.Accuracy)!;
        var strongest = references.MaxBy(r => r.Seen.Accuracy);
        var againstReference = strongest is null
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"; on seen users the best method ({bestSeen.Model}, {MetricsFormat.Percent(bestSeen.Seen.Accuracy)}) is {100 * (bestSeen.Seen.Accuracy - strongest.Seen.Accuracy):+0.0;-0.0;0.0} points from the strongest reference ({strongest.Model}, {MetricsFormat.Percent(strongest.Seen.Accuracy)})");
        return string.Create(CultureInfo.InvariantCulture, $"- {form}, seed {seed}: the largest margin over BT on new users is {bestNew.Model}'s, {bestNew.UnseenOverBaseline?.ToPoints() ?? MetricsFormat.Missing} points{againstReference}.");
    }
}
