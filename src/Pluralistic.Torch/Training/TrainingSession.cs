using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// What every trainer does before and after its own work: apply threads and seed, resolve the device, validate the
/// options, split each user's pairs into training and validation, move the data to the device, and afterwards
/// describe the training data and write the seen users' states. One place, so trainers differ only in their method.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private readonly List<nn.Module> _modules = [];
    private readonly HashSet<nn.Module> _released = new(ReferenceEqualityComparer.Instance);
    private PairTensors? _train;
    private PairTensors? _validation;
    private TrainingDataInfo? _dataInfo;

    private TrainingSession(PreferenceDataset data, RewardTrainerOptions options)
    {
        options.Validate();
        Seed = options.Seed ?? 0;
        TorchRuntime.SetThreads(options.Threads ?? 0);
        Generator = new torch.Generator((ulong)Seed);
        Data = data;
        Options = options;
        Device = TorchRuntime.ResolveDevice(options.Device);
        // The item-disjoint split comes with the population anchor (whose fit needs held-out items); without it the
        // split is the per-user pair split runs have always had. A method that validates on none (PAL) still leaves a
        // share of the pairs out of its training when anchored: the anchor's fit judges the method's seen states on
        // them, states that never learned those pairs.
        if (options.PopulationAnchor)
        {
            var methodValidates = options.ValidationFraction > 0;
            var split = ValidationSplit.Make(data, methodValidates ? options.ValidationFraction : AnchorValidationFraction, Seed);
            (TrainRecords, ExcludedRecords) = (split.Train, split.Excluded);
            ValidationRecords = methodValidates ? split.Validation : [];
            AnchorValidationRecords = methodValidates ? [] : split.Validation;
        }
        else
        {
            (TrainRecords, ValidationRecords, ExcludedRecords) = ToSplit(PreferenceSplits.TrainValidation(data, options.ValidationFraction, Seed));
            AnchorValidationRecords = [];
        }

        // Training rows in a seeded random order, so consecutive runs of rows are random batches.
        ShuffledTrainRecords = TrainRecords.ToArray();
        new Random(Seed).Shuffle(ShuffledTrainRecords);
    }

    /// <summary>The training data.</summary>
    public PreferenceDataset Data { get; }

    /// <summary>
    /// A generator seeded with the options' seed, for random tensors drawn during training (noise, sampling):
    /// unlike libtorch's process-wide generator it is not disturbed by other models training concurrently.
    /// </summary>
    public torch.Generator Generator { get; }

    /// <summary>The options.</summary>
    public RewardTrainerOptions Options { get; }

    /// <summary>The seed of the run (the options' seed, 0 when they leave it unset).</summary>
    public int Seed { get; }

    /// <summary>The device.</summary>
    public Device Device { get; }

    /// <summary>Records to train on.</summary>
    public int[] TrainRecords { get; }

    /// <summary>
    /// Records held out for validation: per user, pairs at random; or, when users' pairs repeat items (responses with
    /// equal vectors), pairs over items a share of the users hold out (see <see cref="ExcludedRecords"/>).
    /// </summary>
    public int[] ValidationRecords { get; }

    /// <summary>
    /// Records in neither split: pairs of a user who holds out items that compare a held-out item with a training
    /// item. The population reward may learn from them (they hide no user's held-out item from others); user states not.
    /// </summary>
    public int[] ExcludedRecords { get; }

    /// <summary>
    /// The share of each user's pairs held out for the population anchor alone when the method validates on none
    /// (<see cref="RewardTrainerOptions.ValidationFraction"/> 0): the baseline's default validation share.
    /// </summary>
    public const double AnchorValidationFraction = 0.1;

    /// <summary>
    /// Records held out of the method's training for the population anchor's fit alone: a share of the pairs when the
    /// method is anchored and validates on none, else empty. The method neither trains nor validates on them.
    /// </summary>
    public int[] AnchorValidationRecords { get; }

    /// <summary>The training records in a seeded random order (the row order of <see cref="Train"/>).</summary>
    public int[] ShuffledTrainRecords { get; }

    /// <summary>The training rows on the device, in <see cref="ShuffledTrainRecords"/> order (created on first use).</summary>
    public PairTensors Train => _train ??= new PairTensors(Data, ShuffledTrainRecords, Device);

    /// <summary>The validation rows on the device (created on first use), or <see langword="null"/> without validation.</summary>
    public PairTensors? Validation => ValidationRecords.Length == 0 ? null : _validation ??= new PairTensors(Data, ValidationRecords, Device);

    private static ValidationSplit.Split ToSplit((int[] Train, int[] Validation) split) => new(split.Train, split.Validation, []);

    /// <summary>
    /// Describes the training data for the manifest (computed on first use: the population anchor's own session, which
    /// no manifest reads, does not fingerprint the data again).
    /// </summary>
    public TrainingDataInfo DataInfo => _dataInfo ??= new TrainingDataInfo(Data.ComputeFingerprint(), Data.Count, Data.Users.Count, Data.SourcePath is null ? null : Path.GetFileName(Data.SourcePath));

    /// <summary>Time since the session started.</summary>
    public TimeSpan Elapsed => _stopwatch.Elapsed;

    /// <summary>Starts a session.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="options">The trainer options.</param>
    /// <returns>The session; dispose it when training ends.</returns>
    public static TrainingSession Start(PreferenceDataset data, RewardTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        return new TrainingSession(data, options);
    }

    /// <summary>
    /// Builds a module with its parameters initialised from the options' seed (see <see cref="TorchRuntime.Seeded"/>)
    /// on the session's device. The session disposes it when it ends unless it was <see cref="Release"/>d (or is
    /// part of a released module), so nothing a failed or cancelled training built outlives it.
    /// </summary>
    /// <typeparam name="T">The module type.</typeparam>
    /// <param name="factory">The module's constructor.</param>
    /// <returns>The module, on <see cref="Device"/>.</returns>
    public T CreateModule<T>(Func<T> factory)
        where T : torch.nn.Module =>
        CreateModule(factory, Seed);

    /// <summary>Builds a module initialised from another seed (for example one of several heads that must start apart); see <see cref="CreateModule{T}(Func{T})"/>.</summary>
    /// <typeparam name="T">The module type.</typeparam>
    /// <param name="factory">The module's constructor.</param>
    /// <param name="seed">The seed of its initialisation.</param>
    /// <returns>The module, on <see cref="Device"/>.</returns>
    public T CreateModule<T>(Func<T> factory, int seed)
        where T : torch.nn.Module
    {
        var module = TorchRuntime.Seeded(seed, factory);
        _modules.Add(module);
        module.to(Device);
        return module;
    }

    /// <summary>Hands a module built by <see cref="CreateModule{T}(Func{T})"/> over to its new owner: the session will not dispose it.</summary>
    /// <param name="module">The module (typically the trained population module, taken over by the model).</param>
    public void Release(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        _released.Add(module);
    }

    /// <summary>The standard metrics of a training run, for the manifest.</summary>
    /// <param name="report">The training loop's report.</param>
    /// <returns>Named metrics.</returns>
    public Dictionary<string, double> Metrics(TrainingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["train_seconds"] = Math.Round(Elapsed.TotalSeconds, 3),
            ["epochs_run"] = report.EpochsRun,
            ["best_epoch"] = report.BestEpoch,
            ["training_loss"] = report.TrainingLoss,
        };

        // Without validation pairs (ValidationFraction 0, e.g. PAL's default) there is no validation figure: leave it
        // out rather than report NaN as if it were one.
        if (!double.IsNaN(report.ValidationLoss))
        {
            metrics["validation_loss"] = report.ValidationLoss;
        }

        if (!double.IsNaN(report.ValidationAccuracy))
        {
            metrics["validation_accuracy"] = report.ValidationAccuracy;
        }

        return metrics;
    }

    /// <summary>Writes the seen users' states into the model's (in-memory) store, each retaining its latest pairs.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="vectors">One state vector per user of <see cref="Data"/>, in <see cref="PreferenceDataset.Users"/> order.</param>
    public void StoreSeenUserStates(TorchUserRewardModel model, IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vectors);
        var byUser = Data.RecordsByUser();
        var states = Data.Users.Select((user, u) => model.CreateState(user, vectors[u], Data, byUser[u])).ToList();
        var pending = model.UserStates.UpsertManyAsync(states);

        // Trainers write to a fresh in-memory store, which completes synchronously; a blocking wait is safe there.
        if (!pending.IsCompleted)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Disposing a module disposes its submodules, so a module that holds a released one is left alone too.
        // (Disposing a module twice is harmless: TorchSharp skips a module whose handle is already released.)
        foreach (var module in _modules)
        {
            if (!_released.Contains(module) && !module.modules().Any(_released.Contains))
            {
                module.Dispose();
            }
        }

        Generator.Dispose();
        _train?.Dispose();
        _validation?.Dispose();
    }
}
