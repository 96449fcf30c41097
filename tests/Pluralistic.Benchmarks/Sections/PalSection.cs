using System.Globalization;
using System.Text;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Pal;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// PAL's variants side by side on the prompt-dependent mixture preset, where PAL-B's prompt-conditioned ideal point
/// should beat both PAL-A's fixed one and the Bradley-Terry baseline (seen users, and unseen users after 10 pairs).
/// </summary>
internal sealed class PalSection : BenchmarkSection
{
    public override string Id => "pal";

    public override string Title => "PAL: PAL-A against PAL-B on prompt-dependent preferences";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var sizes = context.PopulationSizes;
        var mixture = SyntheticPopulation.Generate(sizes with { Preset = "mixture", Seed = context.Seed });
        var train = mixture.ToDataset(mixture.Train);
        var seen = mixture.ToDataset(mixture.TestSeen);
        var unseen = mixture.ToDataset(mixture.TestUnseen);
        var fewShot = new EvaluationOptions { ContextPairs = 10 };

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Mixture preset (seed {context.Seed}, {sizes.SeenUsers} seen users x {sizes.TrainPairsPerUser} training pairs; {sizes.UnseenUsers} unseen users, 10 context pairs each). Default options apart from the variant (K = {PalOptions.DefaultPromptPrototypes} with prompts).");
        text.AppendLine();
        text.AppendLine("| model | seen | unseen (k=10) | worst group (seen) | train s |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        var models = new (string Name, Func<IUserRewardModel> Fit)[]
        {
            ("bt", () => new BradleyTerryTrainer(new BradleyTerryOptions { Seed = context.Seed, Device = "cpu" }).Fit(train, cancellationToken: cancellationToken)),
            ("pal-a", () => new PalTrainer(new PalOptions { Seed = context.Seed, Device = "cpu", Variant = PalVariant.A }).Fit(train, cancellationToken: cancellationToken)),
            ("pal-b", () => new PalTrainer(new PalOptions { Seed = context.Seed, Device = "cpu", Variant = PalVariant.B }).Fit(train, cancellationToken: cancellationToken)),
        };
        foreach (var (name, fit) in models)
        {
            context.Log($"  pal: {name} on the mixture preset");
            var started = DateTime.UtcNow;
            using var model = fit();
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            var s = (await RewardModelEvaluator.EvaluateAsync(model, seen, cancellationToken: cancellationToken).ConfigureAwait(false)).Metrics;
            var u = (await RewardModelEvaluator.EvaluateAsync(model, unseen, fewShot, cancellationToken).ConfigureAwait(false)).Metrics;
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {s.Accuracy * 100:F1}% | {u.Accuracy * 100:F1}% | {s.WorstGroup} {s.WorstGroupAccuracy * 100:F1}% | {seconds:F1} |");
        }

        return text.ToString();
    }
}
