using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// The one shape of every TorchSharp trainer (the estimator half of the estimator/model split): validate the options,
/// start a <see cref="TrainingSession"/>, let the method train its population module, describe the model, wrap the
/// module as a model with the seen users' states, and dispose every module the session built if anything fails or is
/// cancelled on the way. A method's trainer says only what is its own: <see cref="TrainPopulation"/> (and, where seen
/// users' states are read from the finished model, <see cref="SeenUserStates"/>).
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
/// <typeparam name="TModel">The method's model.</typeparam>
public abstract class TorchRewardTrainer<TOptions, TModel> : IUserRewardTrainer
    where TOptions : RewardTrainerOptions
    where TModel : TorchUserRewardModel
{
    private readonly TorchRewardModelKind<TOptions, TModel> _kind;

    /// <summary>Creates the trainer.</summary>
    /// <param name="kind">The method's kind descriptor.</param>
    /// <param name="options">The options; <see langword="null"/> for the kind's defaults.</param>
    protected TorchRewardTrainer(TorchRewardModelKind<TOptions, TModel> kind, TOptions? options)
    {
        _kind = kind ?? throw new ArgumentNullException(nameof(kind));
        Options = options ?? kind.DefaultOptions();
    }

    /// <summary>The options.</summary>
    public TOptions Options { get; }

    /// <inheritdoc />
    public string Kind => _kind.Name;

    /// <summary>Trains a model.</summary>
    /// <param name="trainingData">Labelled pairs of the seen users.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training; every module built so far is disposed.</param>
    /// <returns>The model, with the seen users' states in memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (named).</exception>
    public TModel Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainingData);

        // What the options leave to the runtime is resolved now, so the model records the seed it was trained with.
        var requested = (TOptions)Options.WithRuntime(null);

        // A method that is not personalized has no anchor, so the option must not change its split either.
        if (!_kind.IsPersonalized && requested.PopulationAnchor)
        {
            requested = (TOptions)(requested with { PopulationAnchor = false });
        }

        OptionLimits.Check(requested, trainingData.ResponseDimension, trainingData.PromptDimension);
        return Fit(trainingData, requested, crossFitAnchor: true, progress, cancellationToken);
    }

    // Trains with resolved options. The anchor's fit judges new users on models trained without them (cross-fitting),
    // which trains the same method again on folds of the users: those fold models are trained without cross-fitting.
    private TModel Fit(PreferenceDataset trainingData, TOptions requested, bool crossFitAnchor, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        using var session = TrainingSession.Start(trainingData, requested);
        TModel? model = null;
        try
        {
            var trained = TrainPopulation(session, requested, progress, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            var options = trained.Options ?? requested;
            var metrics = session.Metrics(trained.Report);
            foreach (var (name, value) in trained.Metrics ?? new Dictionary<string, double>())
            {
                metrics[name] = value;
            }

            var shape = ModelShape.Of(trainingData, trained.ObjectiveNames);
            var anchor = _kind.IsPersonalized && requested.PopulationAnchor ? TrainAnchor(session, shape, trained.Network, metrics, progress, cancellationToken) : null;
            var info = _kind.CreateInfo(shape, options) with
            {
                Seed = session.Seed,
                TrainingData = session.DataInfo,
                Metrics = metrics,
                PopulationAnchor = anchor,
                ItemEffects = ItemEffectsHosts.CountOf(trained.Network),
            };
            session.Release(trained.Network);
            try
            {
                model = _kind.CreateModel(trained.Network, options, info, new InMemoryUserStateStore(), session.Device);
            }
            catch
            {
                trained.Network.Dispose();
                throw;
            }

            var seen = trained.SeenUserStates ?? SeenUserStates(model, session, options, cancellationToken);
            Func<PreferenceDataset, int, TorchUserRewardModel>? trainFold = crossFitAnchor
                ? (users, fold) => Fit(users, requested, crossFitAnchor: false, FoldProgress(progress, fold), cancellationToken)
                : null;
            // A fold model serves the fit of the model it is a fold of (its rewards, not weights of its own): it is not fitted.
            if (anchor is not null && crossFitAnchor)
            {
                using var judge = PopulationRewardTraining.ForFit(session, shape, anchor.HiddenSizes, PopulationAnchor.Find(trained.Network)?.ItemEffects?.Strength, progress, cancellationToken);
                model.FitPopulationAnchor(session, judge, trained.SeenStatesFromTrainingPairs ? seen : null, trainFold, cancellationToken);
            }

            session.StoreSeenUserStates(model, seen);
            return model;
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }

    // A fold model's progress, named as such (it restarts at epoch 1 once per fold); reported synchronously, in order.
    private static FoldProgressReporter? FoldProgress(IProgress<TrainingProgress>? progress, int fold) =>
        progress is null ? null : new FoldProgressReporter(progress, $"anchor fit, users held out {fold + 1}/{AnchorFit.Folds}: ");

    private sealed class FoldProgressReporter(IProgress<TrainingProgress> inner, string prefix) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner.Report(value with { Phase = prefix + value.Phase });
    }

    /// <inheritdoc />
    IUserRewardModel IUserRewardTrainer.Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        Fit(trainingData, progress, cancellationToken);

    /// <summary>
    /// Trains the method's population module (and, where the method learns them jointly, the seen users' states).
    /// Build modules with <see cref="TrainingSession.CreateModule{T}(Func{T})"/>: the session disposes every module it built
    /// except the returned network, whatever happens.
    /// </summary>
    /// <param name="session">The session: seeded, validated, data split and on the device.</param>
    /// <param name="options">The options.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained module and what training learned.</returns>
    protected abstract TrainedPopulation<TOptions> TrainPopulation(
        TrainingSession session, TOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Trains the population reward a personalized model is anchored to exactly as the Bradley-Terry baseline is trained
    /// (see <see cref="PopulationRewardTraining.AsBaseline"/>) and registers it under <paramref name="network"/>; its
    /// weights are fitted once the model exists.
    /// </summary>
    private static PopulationAnchorInfo TrainAnchor(
        TrainingSession session, ModelShape shape, nn.Module network, Dictionary<string, double> metrics, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var info = new PopulationAnchorInfo { HiddenSizes = [PopulationRewardOptions.BaselineHiddenWidth], Kappa = 0, Form = PopulationAnchorForm.Blend };
        var (anchor, report) = PopulationRewardTraining.AsBaseline(session.Data, session.Options, shape, info.HiddenSizes, metrics, progress, cancellationToken);
        if (!double.IsNaN(report.ValidationAccuracy))
        {
            metrics["anchor_validation_accuracy"] = report.ValidationAccuracy;
        }

        metrics["anchor_epochs_run"] = report.EpochsRun;
        network.register_module(PopulationAnchor.ModuleName, anchor);
        return info;
    }

    /// <summary>
    /// The seen users' states, for methods that read them from the finished model (called when
    /// <see cref="TrainedPopulation{TOptions}.SeenUserStates"/> is <see langword="null"/>).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="session">The session.</param>
    /// <param name="options">The options the model was built with.</param>
    /// <param name="cancellationToken">Cancels inference.</param>
    /// <returns>One state per user of the training data, in its user order.</returns>
    protected virtual IReadOnlyList<float[]> SeenUserStates(TModel model, TrainingSession session, TOptions options, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Kind}: the trainer returned no seen user states and does not infer them from the model");
}

/// <summary>What a method's training produced.</summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
public sealed record TrainedPopulation<TOptions>
    where TOptions : RewardTrainerOptions
{
    /// <summary>The trained population module (the model takes it over).</summary>
    public required nn.Module Network { get; init; }

    /// <summary>The training loop's report (the last one, for methods that run the loop several times).</summary>
    public required TrainingReport Report { get; init; }

    /// <summary>
    /// The options the network was built with, when training resolved some from the data (for example a number of
    /// prototypes or groups chosen automatically); <see langword="null"/> when they are the trainer's options.
    /// </summary>
    public TOptions? Options { get; init; }

    /// <summary>Method-specific metrics for the manifest, beside the session's standard ones.</summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>One state per user of the training data (in its user order), when training learned them.</summary>
    public IReadOnlyList<float[]>? SeenUserStates { get; init; }

    /// <summary>
    /// Whether <see cref="SeenUserStates"/> were learned from the session's training pairs alone (jointly with the
    /// network, as PAL's mixture logits are), never from its validation pairs or those held out for the population
    /// anchor. The anchor's fit then judges them as they are on those held-out pairs; otherwise it reads the seen
    /// users' states again from their training pairs.
    /// </summary>
    public bool SeenStatesFromTrainingPairs { get; init; }

    /// <summary>The named objectives the model outputs (multi-objective methods).</summary>
    public IReadOnlyList<string>? ObjectiveNames { get; init; }
}
