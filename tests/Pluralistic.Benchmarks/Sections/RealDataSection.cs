using System.Globalization;
using System.Text;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Real people's ratings: a local copy of MovieLens 100k (<c>--real-data DIR</c> with <c>u.data</c> and <c>u.item</c>;
/// GroupLens' licence forbids redistributing it, so it is never part of the repository), turned into per-user pairs as
/// <c>pluralistic import ratings</c> does, in three shapes (items as genre + year vectors; as text through the MiniLM
/// sentence encoder; and as text again with at most <see cref="SparsePairsPerUser"/> pairs per user, the shape of a product
/// that has asked each user little), measured as <c>pluralistic compare</c> measures a user's file: the user-level, item-disjoint split,
/// every method with its defaults, the reference rows, seen users and new users after up to 10 context pairs, margins
/// over BT with standard errors clustered by user (the personalized methods anchored to the population reward, the
/// default); then the same split with every personalized method alone. Skipped with a note when no folder is given.
/// </summary>
internal sealed class RealDataSection : BenchmarkSection
{
    /// <summary>The sparse shape's cap on pairs per user (<c>import ratings --max-pairs-per-user</c>).</summary>
    private const int SparsePairsPerUser = 20;

    public override string Id => "real-data";

    public override string Title => "Real data: MovieLens 100k";

    public override Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken) =>
        MovieLensForms.MeasureAsync(context, work => MeasureAsync(context, work, cancellationToken));

    private static async Task<string> MeasureAsync(BenchmarkContext context, DirectoryInfo work, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"MovieLens 100k from a local copy, converted as `pluralistic import ratings --data u.data --columns user_id,item_id,rating,timestamp --items u.item --items-format movielens [--vectors]` converts it, measured as `pluralistic compare --data FILE --seed {context.Seed}` measures it{(context.Quick ? " (QUICK: the first 150 users only)" : string.Empty)}. Every method with its defaults (the personalized ones anchored to the population reward); reference rows beside them.");
        text.AppendLine();
        foreach (var (vectors, maxPairsPerUser) in new (bool, int?)[] { (true, null), (false, null), (false, SparsePairsPerUser) })
        {
            var form = MovieLensForms.Name(vectors, maxPairsPerUser);
            var (split, pairs) = await MovieLensForms.LoadAsync(context, work, vectors, maxPairsPerUser, context.Seed, cancellationToken).ConfigureAwait(false);
            var sizes = split.Summary.ContextSizes;
            var mainK = sizes.Where(k => k <= 10).DefaultIfEmpty(sizes[0]).Max();
            context.Log($"  real data ({form}): {pairs} pairs of {split.Summary.Users} users");
            var run = await PopulationExperiment.RunAsync(split.Population, new ExperimentOptions
            {
                References = ReferenceModels.All,
                Seed = context.Seed,
                ContextPairs = mainK,
                Device = "cpu",
                FewShotContextSizes = sizes,
            }, null, cancellationToken).ConfigureAwait(false);
            var shape = vectors ? "genre + year vectors" : "text (\"Title (Year). Genres: ...\") through the MiniLM sentence encoder";
            text.AppendLine(CultureInfo.InvariantCulture, $"### Items as {shape}{(maxPairsPerUser is { } most ? string.Create(CultureInfo.InvariantCulture, $", at most {most} pairs per user (`--max-pairs-per-user {most}`)") : string.Empty)}");
            text.AppendLine();
            text.AppendLine(CompareReport.Write(split.Summary, run, mainK, Path.Combine(context.DocsDirectory, "images", $"real-{form}"), $"images/real-{form}/", headingLevel: 4));

            // The same split once more with every personalized method alone (the default until 2026-12-07).
            context.Log($"  real data ({form}): methods alone");
            var alone = await PopulationExperiment.RunAsync(split.Population, new ExperimentOptions
            {
                Seed = context.Seed,
                ContextPairs = mainK,
                Device = "cpu",
                ConfigureTrainer = options => options with { PopulationAnchor = false },
            }, null, cancellationToken).ConfigureAwait(false);
            text.AppendLine(CultureInfo.InvariantCulture, $"#### The methods alone, without the population anchor (`compare --anchor false`)");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"The rows above are anchored (the default, `RewardTrainerOptions.PopulationAnchor`): each personalized method tied to a population reward trained exactly as the BT row is, a user moving from it only as far as the fitted weight allows (listed under the results). Here the same split and queries with every personalized method trained alone, as the default was until 2026-12-07; BT is unchanged by the option. Margins over this run's BT, ± the standard error clustered by user.");
            text.AppendLine();
            var table = new MarkdownTable()
                .AddColumn("row")
                .AddColumn("seen", ColumnAlignment.Right)
                .AddColumn(string.Create(CultureInfo.InvariantCulture, $"unseen, k = {mainK}"), ColumnAlignment.Right)
                .AddColumn(string.Create(CultureInfo.InvariantCulture, $"points over BT, seen / unseen k = {mainK}"), ColumnAlignment.Right)
                .AddColumn("log-loss (seen)", ColumnAlignment.Right)
                .AddColumn("train s", ColumnAlignment.Right);
            foreach (var row in alone.Rows)
            {
                table.AddRow(
                    row.IsBaseline ? row.Model : $"{row.Model} alone",
                    MetricsFormat.Percent(row.Seen.Accuracy),
                    MetricsFormat.Percent(row.Unseen.Accuracy),
                    row.SeenOverBaseline is null || row.UnseenOverBaseline is null || row.IsBaseline ? MetricsFormat.Missing : $"{row.SeenOverBaseline.ToPoints()} / {row.UnseenOverBaseline.ToPoints()}",
                    MetricsFormat.Number(row.Seen.LogLoss, 3),
                    MetricsFormat.Number(row.TrainSeconds, 1));
            }

            text.AppendLine(table.ToString());
        }

        return text.ToString();
    }
}
