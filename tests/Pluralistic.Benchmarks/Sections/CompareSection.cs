using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// <c>pluralistic compare</c> on a generated preset treated as a user's own file: every record of the population in one
/// JSONL file (no oracle, no preset split), the user-level split, every method with its defaults and the reference rows.
/// </summary>
internal sealed class CompareSection : BenchmarkSection
{
    private const string Preset = "minority";

    public override string Id => "compare";

    public override string Title => "`pluralistic compare` on a preset read as a user's file";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("pluralistic-compare-");
        try
        {
            // The user's path: one file with everyone's pairs, as `generate` writes them, concatenated.
            var population = await PreparedPopulation.CreateAsync(Preset, context.PopulationSizes with { Seed = context.Seed }, "hashed", cancellationToken).ConfigureAwait(false);
            await population.WriteAsync!(work.FullName, cancellationToken).ConfigureAwait(false);
            var file = Path.Combine(work.FullName, "all.jsonl");
            var lines = new List<string>();
            foreach (var part in new[] { "train.jsonl", "test_seen.jsonl", "test_unseen.jsonl" })
            {
                lines.AddRange(await File.ReadAllLinesAsync(Path.Combine(work.FullName, part), cancellationToken).ConfigureAwait(false));
            }

            await File.WriteAllLinesAsync(file, lines, cancellationToken).ConfigureAwait(false);

            var data = await PreferenceJsonl.LoadDatasetAsync(file, cancellationToken: cancellationToken).ConfigureAwait(false);
            var items = await PreferenceJsonl.ReadItemsAsync(file, data, cancellationToken).ConfigureAwait(false);
            var split = UserSplit.Create($"{Preset}.jsonl", data, items, new UserSplitOptions { Seed = context.Seed });
            var sizes = split.Summary.ContextSizes;
            var mainK = sizes.Where(k => k <= 10).DefaultIfEmpty(sizes[0]).Max();
            var options = new ExperimentOptions
            {
                References = ReferenceModels.All,
                Seed = context.Seed,
                ContextPairs = mainK,
                Device = "cpu",
                FewShotContextSizes = sizes,
            };
            context.Log($"  compare: {Preset}, {data.Count} pairs of {split.Summary.Users} users");
            var run = await PopulationExperiment.RunAsync(split.Population, options, null, cancellationToken).ConfigureAwait(false);

            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"The `{Preset}` preset (seed {context.Seed}) written as one file of {data.Count:N0} pairs of {split.Summary.Users} users, read as `pluralistic compare --data FILE` reads a user's file: the preset's own split and oracle are not used. Every method with its defaults, the reference rows beside them (`ReferenceModels.All`). The same report comes from `pluralistic compare --data FILE --seed {context.Seed}`.");
            text.AppendLine();
            text.AppendLine(CompareReport.Write(split.Summary, run, mainK, Path.Combine(context.DocsDirectory, "images", "compare"), "images/compare/", headingLevel: 3));
            return text.ToString();
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
