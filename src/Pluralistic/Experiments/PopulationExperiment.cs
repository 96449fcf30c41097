using System.Diagnostics;
using System.Text.Json.Serialization;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models;
using Pluralistic.Runs;
using Pluralistic.Torch;

namespace Pluralistic.Experiments;

/// <summary>What to compare: which presets, which methods, how many context pairs for unseen users.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Synthetic presets to run. Default: all, the text preset included.</summary>
    public IReadOnlyList<string> Presets { get; init; } = PreparedPopulation.Presets;

    /// <summary>Model kinds to train. Default: every available kind.</summary>
    public IReadOnlyList<string> Models { get; init; } = RewardModelKinds.AvailableNames;

    /// <summary>Seed of the populations and the trainers.</summary>
    public int Seed { get; init; }

    /// <summary>Context pairs each unseen user is adapted from before their queries are scored. Default 10.</summary>
    public int ContextPairs { get; init; } = 10;

    /// <summary>Device for training and scoring.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>
    /// The text embedder of text presets: <c>minilm</c> (the sentence encoder, default) or <c>hashed</c> (hashed token
    /// n-grams), or another registered in <see cref="TextEmbedderKinds"/>. Vector presets ignore it.
    /// </summary>
    public string TextEmbedder { get; init; } = TextEmbedderKinds.DefaultName;

    /// <summary>Sizes of the populations (the preset and seed are set per run). Default: the generator's defaults.</summary>
    public SyntheticPopulationOptions Population { get; init; } = new();

    /// <summary>
    /// When set, each model's few-shot curve on the unseen users (accuracy after k context pairs, same queries for
    /// every k) is measured too. Default: not measured.
    /// </summary>
    public IReadOnlyList<int>? FewShotContextSizes { get; init; }

    /// <summary>
    /// When positive, this many further unseen users are drawn from each population (their own random stream, the
    /// training data unchanged; vector presets only) and every model is evaluated on them too, after the same
    /// <see cref="ContextPairs"/>: a precise unseen-user figure, where the 60 default unseen users give about ±1 point.
    /// Default 0 (not drawn).
    /// </summary>
    public int HeldOutUsers { get; init; }

    /// <summary>
    /// When positive, this many further held-out pairs are drawn for every seen user (their own random stream, the
    /// training data unchanged; vector presets only) and every model is scored on them too: a precise seen-user
    /// figure, where the 20 default held-out pairs per user give about ±1 point. Default 0 (not drawn).
    /// </summary>
    public int HeldOutSeenPairs { get; init; }

    /// <summary>Adjusts a kind's default options before training (for example fewer epochs); identity by default.</summary>
    public Func<RewardTrainerOptions, RewardTrainerOptions>? ConfigureTrainer { get; init; }

    /// <summary>
    /// When set, each population is written to <c>DIR/PRESET/data</c> and each trained model to
    /// <c>DIR/PRESET/runs/KIND</c>, and evaluation reopens the saved run (the path a user takes).
    /// </summary>
    public string? OutputDirectory { get; init; }
}

/// <summary>One model on one preset.</summary>
public sealed record ExperimentRow
{
    /// <summary>The preset.</summary>
    public required string Preset { get; init; }

    /// <summary>The model kind.</summary>
    public required string Model { get; init; }

    /// <summary>Training time in seconds.</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>Seen users' held-out pairs, with the oracle (and the baseline when it ran) as reference.</summary>
    public required PreferenceMetrics Seen { get; init; }

    /// <summary>Unseen users' queries after their context pairs, with the oracle (and baseline) as reference.</summary>
    public required PreferenceMetrics Unseen { get; init; }

    /// <summary>Accuracy of the best single hidden reward on the seen users' held-out pairs.</summary>
    public required double BestSingleSeen { get; init; }

    /// <summary>Accuracy of the best single hidden reward on the unseen users' queries.</summary>
    public required double BestSingleUnseen { get; init; }

    /// <summary>The smallest group of the preset.</summary>
    public required string MinorityGroup { get; init; }

    /// <summary>Fraction of unseen users' query predictions that flip when their context labels are flipped.</summary>
    public double? ContextSensitivity { get; init; }

    /// <summary>
    /// For latent-variable models (<see cref="IUserPosterior"/>), the latent dimensions whose posterior mean varies
    /// across the seen users (0: posterior collapse); <see langword="null"/> for other models.
    /// </summary>
    public ActiveUnitsReport? ActiveUnits { get; init; }

    /// <summary>Unseen users' accuracy on the contested pairs only (text preset).</summary>
    public PreferenceMetrics? UnseenContested { get; init; }

    /// <summary>The few-shot curve on unseen users, when measured.</summary>
    public FewShotCurve? FewShot { get; init; }

    /// <summary>User states in the saved run's store (when runs were written).</summary>
    public int? StoredUserStates { get; init; }

    /// <summary>The seen users' evaluation (predictions per held-out pair; not serialised).</summary>
    [JsonIgnore]
    public required EvaluationResult SeenEvaluation { get; init; }

    /// <summary>The unseen users' evaluation after their context pairs (predictions per query; not serialised).</summary>
    [JsonIgnore]
    public required EvaluationResult UnseenEvaluation { get; init; }

    /// <summary>Seen accuracy minus Bradley-Terry's on the same pairs, with its standard error; <see langword="null"/> without a BT row.</summary>
    public AccuracyDifference? SeenOverBaseline { get; init; }

    /// <summary>Unseen accuracy minus Bradley-Terry's on the same queries, with its standard error; <see langword="null"/> without a BT row.</summary>
    public AccuracyDifference? UnseenOverBaseline { get; init; }

    /// <summary>The seen users' further held-out pairs (<see cref="ExperimentOptions.HeldOutSeenPairs"/>), when drawn.</summary>
    public PreferenceMetrics? HeldOutSeen { get; init; }

    /// <summary>The seen users' further held-out pairs' evaluation, when drawn (not serialised).</summary>
    [JsonIgnore]
    public EvaluationResult? HeldOutSeenEvaluation { get; init; }

    /// <summary>Accuracy on the seen users' further held-out pairs minus Bradley-Terry's, when both were measured.</summary>
    public AccuracyDifference? HeldOutSeenOverBaseline { get; init; }

    /// <summary>The further held-out users' queries after their context pairs (<see cref="ExperimentOptions.HeldOutUsers"/>), when drawn.</summary>
    public PreferenceMetrics? HeldOut { get; init; }

    /// <summary>The further held-out users' evaluation, when drawn (not serialised).</summary>
    [JsonIgnore]
    public EvaluationResult? HeldOutEvaluation { get; init; }

    /// <summary>Accuracy on the further held-out users minus Bradley-Terry's on the same queries, when both were measured.</summary>
    public AccuracyDifference? HeldOutOverBaseline { get; init; }

    /// <summary>The minority group's accuracy on seen users' held-out pairs.</summary>
    public double? SeenMinorityAccuracy => Seen.PerGroup.TryGetValue(MinorityGroup, out var g) ? g.Accuracy : null;
}

/// <summary>A progress message from an experiment.</summary>
/// <param name="Preset">The preset.</param>
/// <param name="Model">The model kind, or <see langword="null"/> while generating data.</param>
/// <param name="Step">What is happening.</param>
/// <param name="Training">Training progress, while training.</param>
public sealed record ExperimentProgress(string Preset, string? Model, string Step, TrainingProgress? Training = null);

/// <summary>
/// Trains and evaluates models on synthetic populations with known hidden rewards — the demo, the benchmarks and
/// the ablation runner are this one loop with different options.
/// </summary>
public static class PopulationExperiment
{
    /// <summary>Runs every model on every preset.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>One row per preset and model, in order.</returns>
    public static async Task<IReadOnlyList<ExperimentRow>> RunAsync(ExperimentOptions options, IProgress<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kinds = options.Models.Select(RewardModelKinds.Get).ToList();
        _ = TextEmbedderKinds.Get(options.TextEmbedder);
        var rows = new List<ExperimentRow>();
        foreach (var preset in options.Presets)
        {
            progress?.Report(new ExperimentProgress(preset, null, "generate"));
            var population = await PreparedPopulation.CreateAsync(preset, options.Population with { Seed = options.Seed }, options.TextEmbedder, cancellationToken).ConfigureAwait(false);
            string? presetDirectory = options.OutputDirectory is null ? null : Path.Combine(options.OutputDirectory, preset);
            if (presetDirectory is not null)
            {
                await population.WriteAsync(Path.Combine(presetDirectory, "data"), cancellationToken).ConfigureAwait(false);
            }

            var heldOut = options.HeldOutUsers > 0 && population.DrawHeldOutUsers is { } draw
                ? draw(options.HeldOutUsers, options.Population.UnseenPairsPerUser, options.Seed)
                : null;
            var heldOutSeen = options.HeldOutSeenPairs > 0 && population.DrawHeldOutSeenPairs is { } drawPairs
                ? drawPairs(options.HeldOutSeenPairs, options.Seed)
                : null;
            var presetRows = new List<ExperimentRow>();
            using (population.Embedder)
            {
                foreach (var kind in kinds)
                {
                    presetRows.Add(await RunOneAsync(kind, population, new HeldOutData(heldOutSeen, heldOut), presetDirectory, options, progress, cancellationToken).ConfigureAwait(false));
                }
            }

            // Gap closed is relative to the Bradley-Terry baseline when it ran on the same data.
            var baseline = presetRows.FirstOrDefault(r => r.Model == "bt");
            rows.AddRange(presetRows.Select(r => r with
            {
                Seen = r.Seen.WithReference(r.Seen.OracleAccuracy, baseline?.Seen.Accuracy),
                Unseen = r.Unseen.WithReference(r.Unseen.OracleAccuracy, baseline?.Unseen.Accuracy),
                SeenOverBaseline = baseline is null ? null : PairedComparison.Compare(r.SeenEvaluation, baseline.SeenEvaluation),
                UnseenOverBaseline = baseline is null ? null : PairedComparison.Compare(r.UnseenEvaluation, baseline.UnseenEvaluation),
                HeldOutOverBaseline = r.HeldOutEvaluation is null || baseline?.HeldOutEvaluation is null ? null : PairedComparison.Compare(r.HeldOutEvaluation, baseline.HeldOutEvaluation),
                HeldOutSeenOverBaseline = r.HeldOutSeenEvaluation is null || baseline?.HeldOutSeenEvaluation is null ? null : PairedComparison.Compare(r.HeldOutSeenEvaluation, baseline.HeldOutSeenEvaluation),
            }));
        }

        return rows;
    }

    private static async Task<ExperimentRow> RunOneAsync(
        RewardModelKind kind,
        PreparedPopulation population,
        HeldOutData heldOut,
        string? presetDirectory,
        ExperimentOptions options,
        IProgress<ExperimentProgress>? progress,
        CancellationToken cancellationToken)
    {
        var preset = population.Preset;
        var trainerOptions = kind.DefaultOptions!() with { Seed = options.Seed, Device = options.Device };
        trainerOptions = options.ConfigureTrainer?.Invoke(trainerOptions) ?? trainerOptions;
        progress?.Report(new ExperimentProgress(preset, kind.Name, "train"));
        var stopwatch = Stopwatch.StartNew();
        TorchUserRewardModel model = kind.Train(
            trainerOptions,
            population.Train,
            progress is null ? null : new Relay(p => progress.Report(new ExperimentProgress(preset, kind.Name, "train", p))),
            cancellationToken);
        var trainSeconds = stopwatch.Elapsed.TotalSeconds;
        int? storedStates = null;
        try
        {
            if (presetDirectory is not null)
            {
                progress?.Report(new ExperimentProgress(preset, kind.Name, "save"));
                var runDirectory = Path.Combine(presetDirectory, "runs", kind.Name);
                await RunDirectory.SaveAsync(model, runDirectory, overwrite: true, population.Embedder, cancellationToken).ConfigureAwait(false);
                model.Dispose();
                model = RunDirectory.Open(runDirectory, new RunOpenOptions { Device = options.Device });
                storedStates = await model.UserStates.CountAsync(cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new ExperimentProgress(preset, kind.Name, "evaluate"));
            var seenResult = await RewardModelEvaluator.EvaluateAsync(model, population.TestSeen, cancellationToken: cancellationToken).ConfigureAwait(false);
            var unseenResult = await RewardModelEvaluator.EvaluateAsync(
                model,
                population.TestUnseen,
                new EvaluationOptions { ContextPairs = options.ContextPairs, MeasureContextSensitivity = options.ContextPairs > 0 },
                cancellationToken).ConfigureAwait(false);

            EvaluationResult? heldOutResult = null;
            if (heldOut.Users is { } users)
            {
                progress?.Report(new ExperimentProgress(preset, kind.Name, "evaluate held-out users"));
                heldOutResult = await RewardModelEvaluator.EvaluateAsync(model, users, new EvaluationOptions { ContextPairs = options.ContextPairs }, cancellationToken).ConfigureAwait(false);
            }

            EvaluationResult? heldOutSeenResult = null;
            if (heldOut.SeenPairs is { } pairs)
            {
                progress?.Report(new ExperimentProgress(preset, kind.Name, "evaluate held-out seen pairs"));
                heldOutSeenResult = await RewardModelEvaluator.EvaluateAsync(model, pairs, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            FewShotCurve? fewShot = null;
            if (options.FewShotContextSizes is { } sizes)
            {
                progress?.Report(new ExperimentProgress(preset, kind.Name, "few-shot curve"));
                fewShot = await RewardModelEvaluator.FewShotCurveAsync(model, population.TestUnseen, new FewShotOptions { ContextSizes = sizes }, cancellationToken).ConfigureAwait(false);
            }

            var activeUnits = model.GetService<IUserPosterior>() is { } posterior && population.TestSeen.Users.Count >= 2
                ? await posterior.MeasureActiveUnitsAsync(population.TestSeen.Users, cancellationToken: cancellationToken).ConfigureAwait(false)
                : null;
            var seenOracle = population.Oracle.Splits["test_seen"].AccuracyOn(seenResult.Lines);
            var unseenOracle = population.Oracle.Splits["test_unseen"].AccuracyOn(unseenResult.Lines);
            return new ExperimentRow
            {
                Preset = preset,
                Model = kind.Name,
                TrainSeconds = trainSeconds,
                Seen = seenResult.Metrics.WithReference(seenOracle.Oracle, null),
                Unseen = unseenResult.Metrics.WithReference(unseenOracle.Oracle, null),
                BestSingleSeen = seenOracle.BestSingle,
                BestSingleUnseen = unseenOracle.BestSingle,
                MinorityGroup = population.Oracle.GroupShares.MinBy(g => g.Value).Key,
                UnseenContested = population.ContestedUnseenRecords.Count == 0
                    ? null
                    : PreferenceMetrics.Compute(unseenResult.ScoredData, unseenResult.Predictions, unseenResult.Records.Select((r, i) => (r, i)).Where(x => population.ContestedUnseenRecords.Contains(x.r)).Select(x => x.i).ToList()),
                ContextSensitivity = unseenResult.ContextSensitivity,
                ActiveUnits = activeUnits,
                FewShot = fewShot,
                StoredUserStates = storedStates,
                SeenEvaluation = seenResult,
                UnseenEvaluation = unseenResult,
                HeldOut = heldOutResult?.Metrics,
                HeldOutEvaluation = heldOutResult,
                HeldOutSeen = heldOutSeenResult?.Metrics,
                HeldOutSeenEvaluation = heldOutSeenResult,
            };
        }
        finally
        {
            model.Dispose();
        }
    }

    /// <summary>The further held-out data of a population, when drawn.</summary>
    private sealed record HeldOutData(PreferenceDataset? SeenPairs, PreferenceDataset? Users);

    private sealed class Relay(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
