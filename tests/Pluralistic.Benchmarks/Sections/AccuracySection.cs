using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Every available model on every preset (the ablation): seen and unseen accuracy beside the oracle and the best single
/// reward, gap closed, minority and worst group, calibration, context sensitivity, few-shot curves — the same report
/// <c>pluralistic ablate</c> writes.
/// </summary>
internal sealed class AccuracySection : BenchmarkSection
{
    public override string Id => "accuracy";

    public override string Title => "Accuracy on the synthetic presets";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var options = new ExperimentOptions
        {
            // The paraphrase preset has its own section, with both text embedders.
            Presets = PreparedPopulation.DemoPresets,
            Seed = context.Seed,
            Device = "cpu",
            ContextPairs = 10,
            FewShotContextSizes = FewShotOptions.DefaultContextSizes,
            Population = context.Quick ? new SyntheticPopulationOptions { SeenUsers = 60, UnseenUsers = 12 } : new SyntheticPopulationOptions(),
            References = ReferenceModels.All,
        };
        var runs = await PopulationExperiment.RunPresetsAsync(options, new Progress(context), cancellationToken).ConfigureAwait(false);
        var rows = runs.SelectMany(r => r.Rows).ToList();
        AccuracyResults.Rows = rows;

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Populations from `SyntheticPopulation` and `SyntheticTextPopulation` (seed {context.Seed}; {options.Population.SeenUsers} seen users x {options.Population.TrainPairsPerUser} training pairs and {options.Population.TestPairsPerSeenUser} held-out pairs each; {options.Population.UnseenUsers} unseen users x {options.Population.UnseenPairsPerUser} pairs, the first {options.ContextPairs} used as context). The text preset's prompts and replies are embedded by the {options.TextEmbedder} text embedder ({Runs.TextEmbedderKinds.Get(options.TextEmbedder).Summary}), the default of `ExperimentOptions.TextEmbedder`. Every model with its default options, trained on CPU, saved as a run and reopened before evaluation; beside them the reference rows (what a practitioner could build in an afternoon, the same as `pluralistic compare`'s: the per-user linear model on the response vectors here, since the item references need item ids that synthetic records do not carry), fitted on the same training pairs and scored on the same pairs. *Oracle* is each user's hidden reward on the same pairs; *best single* is the population-mean hidden reward; *gap closed* is (model - BT) / (oracle - BT); *context sensitivity* is the fraction of unseen users' query predictions that flip when their context labels are flipped; *active latent units* (VPL) counts the latent dimensions whose posterior mean varies across seen users (variance above 0.01; 0 would be posterior collapse). Few-shot curves score the same queries (each unseen user's pairs after the 20th) after k = 1, 2, 5, 10, 20 context pairs. The same report comes from `pluralistic ablate`.");
        text.AppendLine();
        text.AppendLine(AblationReport.Write(runs, Path.Combine(context.DocsDirectory, "images"), "images/", options.ContextPairs));
        foreach (var bt in rows.Where(r => r.Model == "bt"))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {bt.Preset}: the Bradley-Terry baseline (MLP head) reaches {bt.Seen.Accuracy / bt.BestSingleSeen:F3} of the best single reward's accuracy on seen users.");
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

/// <summary>The accuracy rows, shared with later sections.</summary>
internal static class AccuracyResults
{
    public static IReadOnlyList<ExperimentRow> Rows { get; set; } = [];
}
