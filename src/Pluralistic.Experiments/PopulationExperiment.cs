using System.Diagnostics;
using System.Text.Json.Serialization;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Runs;
using Pluralistic.Torch;

namespace Pluralistic.Experiments;

/// <summary>What to compare: which presets, which methods, how many context pairs for unseen users.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Synthetic presets to run. Default: all, the text preset included.</summary>
    public IReadOnlyList<string> Presets { get; init; } = PreparedPopulation.Presets;

    /// <summary>The model kinds the names in <see cref="Models"/> are looked up in. Default: the SDK's built-in kinds.</summary>
    public RewardModelKindRegistry Kinds { get; init; } = RewardModelKinds.BuiltIn;

    /// <summary>Model kinds to train. Default: every kind of <see cref="Kinds"/>.</summary>
    public IReadOnlyList<string>? Models { get; init; }

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

    /// <summary>
    /// Reference rows fitted and measured beside the models (same data, same evaluation, margins over BT); those that
    /// cannot run on the data are listed in <see cref="PopulationRun.UnavailableReferences"/>. Default: none.
    /// </summary>
    public IReadOnlyList<ReferenceModel> References { get; init; } = [];

    /// <summary>Adjusts a kind's default options before training (for example fewer epochs); identity by default.</summary>
    public Func<RewardTrainerOptions, RewardTrainerOptions>? ConfigureTrainer { get; init; }

    /// <summary>
    /// When set, each population is written to <c>DIR/PRESET/data</c> and each trained model to
    /// <c>DIR/PRESET/runs/KIND</c>, and evaluation reopens the saved run (the path a user takes).
    /// </summary>
    public string? OutputDirectory { get; init; }
}

/// <summary>One model (or reference row) on one preset or data set.</summary>
public sealed record ExperimentRow
{
    /// <summary>The preset, or the name of the user's data.</summary>
    public required string Preset { get; init; }

    /// <summary>The model kind, or the reference's name (<see cref="IsReference"/>).</summary>
    public required string Model { get; init; }

    /// <summary>Whether the row is a reference row (<see cref="ReferenceModel"/>) rather than a trained method.</summary>
    public bool IsReference { get; init; }

    /// <summary>Whether the row is the Bradley-Terry baseline every margin is measured against.</summary>
    [JsonIgnore]
    public bool IsBaseline => !IsReference && Model == BradleyTerryRewardModel.KindName;

    /// <summary>How reports name the row: the model kind, or the reference's name marked "(reference)".</summary>
    [JsonIgnore]
    public string Label => IsReference ? $"{Model} (reference)" : Model;

    /// <summary>
    /// The population anchor the trained model was fitted with (<see cref="RewardTrainerOptions.PopulationAnchor"/>), its
    /// weights included, so a report can say when a user's own reward is not used at all (kappa infinity: the row's
    /// figures are then its population reward's); <see langword="null"/> for a model without one and for references.
    /// </summary>
    [JsonIgnore]
    public PopulationAnchorInfo? PopulationAnchor { get; init; }

    /// <summary>Training (for a reference, fitting) time in seconds.</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>Seen users' held-out pairs, with the oracle (and the baseline when it ran) as reference.</summary>
    public required PreferenceMetrics Seen { get; init; }

    /// <summary>Unseen users' queries after their context pairs, with the oracle (and baseline) as reference.</summary>
    public required PreferenceMetrics Unseen { get; init; }

    /// <summary>Accuracy of the best single hidden reward on the seen users' held-out pairs (synthetic data only).</summary>
    public double? BestSingleSeen { get; init; }

    /// <summary>Accuracy of the best single hidden reward on the unseen users' queries (synthetic data only).</summary>
    public double? BestSingleUnseen { get; init; }

    /// <summary>The smallest group of the preset (synthetic data only).</summary>
    public string? MinorityGroup { get; init; }

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

    /// <summary>At every k of the few-shot curve, accuracy minus Bradley-Terry's on the same queries, when both curves were measured.</summary>
    public IReadOnlyList<FewShotMargin>? FewShotOverBaseline { get; init; }

    /// <summary>User states in the saved run's store (when runs were written).</summary>
    public int? StoredUserStates { get; init; }

    // Not 'required': System.Text.Json refuses a required member it does not serialise (dotnet/runtime#78443), which
    // broke `demo --json`; PopulationExperiment always sets both.

    /// <summary>The seen users' evaluation (predictions per held-out pair; not serialised).</summary>
    [JsonIgnore]
    public EvaluationResult SeenEvaluation { get; init; } = null!;

    /// <summary>The unseen users' evaluation after their context pairs (predictions per query; not serialised).</summary>
    [JsonIgnore]
    public EvaluationResult UnseenEvaluation { get; init; } = null!;

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
    public double? SeenMinorityAccuracy => MinorityGroup is not null && Seen.PerGroup.TryGetValue(MinorityGroup, out var g) ? g.Accuracy : null;
}

/// <summary>A model's accuracy minus Bradley-Terry's at one point of the few-shot curve, on the same queries.</summary>
/// <param name="ContextPairs">k.</param>
/// <param name="OverBaseline">The difference and its standard error clustered by user.</param>
public sealed record FewShotMargin(int ContextPairs, AccuracyDifference OverBaseline);

/// <summary>The rows of one population or data set, and the reference rows that could not run on it.</summary>
/// <param name="Rows">One row per model, then one per reference that ran.</param>
/// <param name="UnavailableReferences">The references that could not run, with the reason.</param>
public sealed record PopulationRun(IReadOnlyList<ExperimentRow> Rows, IReadOnlyList<UnavailableReference> UnavailableReferences);

/// <summary>A reference row that could not run on the data.</summary>
/// <param name="Name">The reference's name.</param>
/// <param name="Reason">Why (for example: the records name no items).</param>
public sealed record UnavailableReference(string Name, string Reason);

/// <summary>A progress message from an experiment.</summary>
/// <param name="Preset">The preset.</param>
/// <param name="Model">The model kind or reference name, or <see langword="null"/> while generating data.</param>
/// <param name="Step">What is happening.</param>
/// <param name="Training">Training progress, while training.</param>
public sealed record ExperimentProgress(string Preset, string? Model, string Step, TrainingProgress? Training = null);

/// <summary>
/// Trains and evaluates models on synthetic populations with known hidden rewards, or on a user's own data split by
/// <see cref="UserSplit"/> — the demo, the benchmarks, the ablation runner and <c>pluralistic compare</c> are this one
/// loop with different options.
/// </summary>
public static class PopulationExperiment
{
    /// <summary>Runs every model on every preset.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>One row per preset and model (and reference), in order.</returns>
    public static async Task<IReadOnlyList<ExperimentRow>> RunAsync(ExperimentOptions options, IProgress<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default) =>
        (await RunPresetsAsync(options, progress, cancellationToken).ConfigureAwait(false)).SelectMany(run => run.Rows).ToList();

    /// <summary>
    /// Runs every model on every preset, keeping each preset's run whole: its rows and the references that could not
    /// run on it (for example the item references, since synthetic records name no items).
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>One run per preset, in the order of <see cref="ExperimentOptions.Presets"/>.</returns>
    public static async Task<IReadOnlyList<PopulationRun>> RunPresetsAsync(ExperimentOptions options, IProgress<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = (options.Models ?? options.Kinds.Names).Select(options.Kinds.Get).ToList();
        _ = TextEmbedderKinds.Get(options.TextEmbedder);
        var runs = new List<PopulationRun>();
        foreach (var preset in options.Presets)
        {
            progress?.Report(new ExperimentProgress(preset, null, "generate"));
            var population = await PreparedPopulation.CreateAsync(preset, options.Population with { Seed = options.Seed }, options.TextEmbedder, cancellationToken).ConfigureAwait(false);
            using (population.Embedder)
            {
                runs.Add(await RunAsync(population, options, progress, cancellationToken).ConfigureAwait(false));
            }
        }

        return runs;
    }

    /// <summary>
    /// Runs every model of <paramref name="options"/> (and every reference row) on one prepared population or data
    /// set: train, evaluate seen users' held-out pairs and unseen users after their context pairs, few-shot curves when
    /// asked, margins over Bradley-Terry when it ran. <see cref="ExperimentOptions.Presets"/> is not used.
    /// </summary>
    /// <param name="population">The data.</param>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The rows, and the references that could not run.</returns>
    public static async Task<PopulationRun> RunAsync(PreparedPopulation population, ExperimentOptions options, IProgress<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(population);
        ArgumentNullException.ThrowIfNull(options);
        var kinds = (options.Models ?? options.Kinds.Names).Select(options.Kinds.Get).ToList();
        string? presetDirectory = options.OutputDirectory is null ? null : Path.Combine(options.OutputDirectory, population.Preset);
        if (presetDirectory is not null && population.WriteAsync is { } write)
        {
            await write(Path.Combine(presetDirectory, "data"), cancellationToken).ConfigureAwait(false);
        }

        var heldOutUsers = options.HeldOutUsers > 0 && population.DrawHeldOutUsers is { } draw
            ? draw(options.HeldOutUsers, options.Population.UnseenPairsPerUser, options.Seed)
            : null;
        var heldOutSeen = options.HeldOutSeenPairs > 0 && population.DrawHeldOutSeenPairs is { } drawPairs
            ? drawPairs(options.HeldOutSeenPairs, options.Seed)
            : null;
        var heldOut = new HeldOutData(heldOutSeen, heldOutUsers);
        var rows = new List<ExperimentRow>();
        foreach (var kind in kinds)
        {
            rows.Add(await RunOneAsync(kind, population, heldOut, presetDirectory, options, progress, cancellationToken).ConfigureAwait(false));
        }

        var unavailable = new List<UnavailableReference>();
        foreach (var reference in options.References)
        {
            if (reference.NotApplicableReason(population.Train, population.TrainItems) is { } reason)
            {
                unavailable.Add(new UnavailableReference(reference.Name, reason));
                continue;
            }

            rows.Add(await RunReferenceAsync(reference, population, heldOut, options, progress, cancellationToken).ConfigureAwait(false));
        }

        // Gap closed and margins are relative to the Bradley-Terry baseline when it ran on the same data.
        var baseline = rows.FirstOrDefault(r => r.IsBaseline);
        var compared = rows.Select(r => r with
        {
            Seen = r.Seen.WithReference(r.Seen.OracleAccuracy, baseline?.Seen.Accuracy),
            Unseen = r.Unseen.WithReference(r.Unseen.OracleAccuracy, baseline?.Unseen.Accuracy),
            SeenOverBaseline = baseline is null ? null : PairedComparison.Compare(r.SeenEvaluation, baseline.SeenEvaluation),
            UnseenOverBaseline = baseline is null ? null : PairedComparison.Compare(r.UnseenEvaluation, baseline.UnseenEvaluation),
            HeldOutOverBaseline = r.HeldOutEvaluation is null || baseline?.HeldOutEvaluation is null ? null : PairedComparison.Compare(r.HeldOutEvaluation, baseline.HeldOutEvaluation),
            HeldOutSeenOverBaseline = r.HeldOutSeenEvaluation is null || baseline?.HeldOutSeenEvaluation is null ? null : PairedComparison.Compare(r.HeldOutSeenEvaluation, baseline.HeldOutSeenEvaluation),
            FewShotOverBaseline = r.FewShot is null || baseline?.FewShot is null
                ? null
                : r.FewShot.Points.Select(p => new FewShotMargin(p.ContextPairs, PairedComparison.Compare(r.FewShot.EvaluationAt(p.ContextPairs), baseline.FewShot.EvaluationAt(p.ContextPairs)))).ToList(),
        }).ToList();
        return new PopulationRun(compared, unavailable);
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
        var trainerOptions = kind.CreateDefaultOptions() with { Seed = options.Seed, Device = options.Device };
        trainerOptions = options.ConfigureTrainer?.Invoke(trainerOptions) ?? trainerOptions;
        progress?.Report(new ExperimentProgress(preset, kind.Name, "train"));
        var stopwatch = Stopwatch.StartNew();
        IUserRewardModel model = kind.Train(
            trainerOptions,
            population.Train,
            progress is null ? null : new Relay(p => progress.Report(new ExperimentProgress(preset, kind.Name, "train", p))),
            cancellationToken);
        var trainSeconds = stopwatch.Elapsed.TotalSeconds;
        int? storedStates = null;
        Run? run = null;
        try
        {
            if (presetDirectory is not null)
            {
                // Evaluate the run as saved: what a user of the run directory gets.
                progress?.Report(new ExperimentProgress(preset, kind.Name, "save"));
                var runDirectory = Path.Combine(presetDirectory, "runs", kind.Name);
                await RunDirectory.SaveAsync(model, runDirectory, overwrite: true, population.Embedder, cancellationToken).ConfigureAwait(false);
                model.Dispose();
                run = await Run.OpenAsync(runDirectory, new RunOpenOptions { Device = options.Device, Kinds = options.Kinds }, cancellationToken).ConfigureAwait(false);
                model = run.Model;
                storedStates = await model.GetRequiredService<IUserStateStoreAccessor>().UserStates.CountAsync(cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new ExperimentProgress(preset, kind.Name, "evaluate"));
            var results = await EvaluateAsync(
                new Evaluations(
                    (data, evaluation) => RewardModelEvaluator.EvaluateAsync(model, data, evaluation, cancellationToken),
                    (data, fewShot) => RewardModelEvaluator.FewShotCurveAsync(model, data, fewShot, cancellationToken)),
                population,
                heldOut,
                options,
                step => progress?.Report(new ExperimentProgress(preset, kind.Name, step))).ConfigureAwait(false);
            var activeUnits = model.GetService<IUserPosterior>() is { } posterior && population.TestSeen.Users.Count >= 2
                ? await posterior.MeasureActiveUnitsAsync(population.TestSeen.Users, cancellationToken: cancellationToken).ConfigureAwait(false)
                : null;
            return Row(kind.Name, trainSeconds, population, results) with
            {
                ActiveUnits = activeUnits,
                StoredUserStates = storedStates,
                PopulationAnchor = model.GetService<TorchUserRewardModel>()?.Info.PopulationAnchor,
            };
        }
        finally
        {
            if (run is null)
            {
                model.Dispose();
            }
            else
            {
                run.Dispose();
            }
        }
    }

    private static async Task<ExperimentRow> RunReferenceAsync(
        ReferenceModel reference,
        PreparedPopulation population,
        HeldOutData heldOut,
        ExperimentOptions options,
        IProgress<ExperimentProgress>? progress,
        CancellationToken cancellationToken)
    {
        var preset = population.Preset;
        progress?.Report(new ExperimentProgress(preset, reference.Name, "fit"));
        var stopwatch = Stopwatch.StartNew();
        var fitted = reference.Fit(population.Train, population.TrainItems, cancellationToken);
        var fitSeconds = stopwatch.Elapsed.TotalSeconds;
        progress?.Report(new ExperimentProgress(preset, reference.Name, "evaluate"));

        // Items follow the datasets they belong to; the further held-out draws of synthetic presets carry none.
        var items = new Dictionary<PreferenceDataset, PreferenceItems?>(ReferenceEqualityComparer.Instance)
        {
            [population.TestSeen] = population.TestSeenItems,
            [population.TestUnseen] = population.TestUnseenItems,
        };
        var results = await EvaluateAsync(
            new Evaluations(
                (data, evaluation) => ReferenceEvaluator.EvaluateAsync(fitted, data, items.GetValueOrDefault(data), evaluation, cancellationToken),
                (data, fewShot) => ReferenceEvaluator.FewShotCurveAsync(fitted, data, items.GetValueOrDefault(data), fewShot, cancellationToken)),
            population,
            heldOut,
            options,
            step => progress?.Report(new ExperimentProgress(preset, reference.Name, step))).ConfigureAwait(false);
        return Row(reference.Name, fitSeconds, population, results) with { IsReference = true };
    }

    /// <summary>Every evaluation of a row, through the given evaluator (a model's or a reference's).</summary>
    private static async Task<RowResults> EvaluateAsync(
        Evaluations evaluate, PreparedPopulation population, HeldOutData heldOut, ExperimentOptions options, Action<string> step)
    {
        var seen = await evaluate.Pairs(population.TestSeen, EvaluationOptions.Default).ConfigureAwait(false);
        var unseen = await evaluate.Pairs(
            population.TestUnseen,
            new EvaluationOptions { ContextPairs = options.ContextPairs, QueryStart = population.UnseenQueryStart, MeasureContextSensitivity = options.ContextPairs > 0 }).ConfigureAwait(false);

        EvaluationResult? heldOutUsers = null;
        if (heldOut.Users is { } users)
        {
            step("evaluate held-out users");
            heldOutUsers = await evaluate.Pairs(users, new EvaluationOptions { ContextPairs = options.ContextPairs }).ConfigureAwait(false);
        }

        EvaluationResult? heldOutSeen = null;
        if (heldOut.SeenPairs is { } pairs)
        {
            step("evaluate held-out seen pairs");
            heldOutSeen = await evaluate.Pairs(pairs, EvaluationOptions.Default).ConfigureAwait(false);
        }

        FewShotCurve? fewShot = null;
        if (options.FewShotContextSizes is { } sizes)
        {
            step("few-shot curve");
            fewShot = await evaluate.Curve(population.TestUnseen, new FewShotOptions { ContextSizes = sizes }).ConfigureAwait(false);
        }

        return new RowResults(seen, unseen, heldOutUsers, heldOutSeen, fewShot);
    }

    private static ExperimentRow Row(string name, double trainSeconds, PreparedPopulation population, RowResults results)
    {
        var (seen, unseen) = (results.Seen, results.Unseen);
        var seenOracle = population.Oracle?.Splits["test_seen"].AccuracyOn(seen.Lines);
        var unseenOracle = population.Oracle?.Splits["test_unseen"].AccuracyOn(unseen.Lines);
        return new ExperimentRow
        {
            Preset = population.Preset,
            Model = name,
            TrainSeconds = trainSeconds,
            Seen = seen.Metrics.WithReference(seenOracle?.Oracle, null),
            Unseen = unseen.Metrics.WithReference(unseenOracle?.Oracle, null),
            BestSingleSeen = seenOracle?.BestSingle,
            BestSingleUnseen = unseenOracle?.BestSingle,
            MinorityGroup = population.Oracle?.GroupShares.MinBy(g => g.Value).Key,
            UnseenContested = population.ContestedUnseenRecords.Count == 0
                ? null
                : PreferenceMetrics.Compute(unseen.ScoredData, unseen.Predictions, unseen.Records.Select((r, i) => (r, i)).Where(x => population.ContestedUnseenRecords.Contains(x.r)).Select(x => x.i).ToList()),
            ContextSensitivity = unseen.ContextSensitivity,
            FewShot = results.FewShot,
            SeenEvaluation = seen,
            UnseenEvaluation = unseen,
            HeldOut = results.HeldOutUsers?.Metrics,
            HeldOutEvaluation = results.HeldOutUsers,
            HeldOutSeen = results.HeldOutSeen?.Metrics,
            HeldOutSeenEvaluation = results.HeldOutSeen,
        };
    }

    /// <summary>The further held-out data of a population, when drawn.</summary>
    private sealed record HeldOutData(PreferenceDataset? SeenPairs, PreferenceDataset? Users);

    /// <summary>How a row's subject is evaluated: labelled pairs (with options) and few-shot curves.</summary>
    private sealed record Evaluations(
        Func<PreferenceDataset, EvaluationOptions, Task<EvaluationResult>> Pairs,
        Func<PreferenceDataset, FewShotOptions, Task<FewShotCurve>> Curve);

    /// <summary>What a row measured.</summary>
    private sealed record RowResults(EvaluationResult Seen, EvaluationResult Unseen, EvaluationResult? HeldOutUsers, EvaluationResult? HeldOutSeen, FewShotCurve? FewShot);

    private sealed class Relay(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
