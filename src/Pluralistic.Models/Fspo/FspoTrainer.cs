using Pluralistic.Torch;

namespace Pluralistic.Models.Fspo;

/// <summary>Meta-trains FSPO on per-user episodes with the shared training loop.</summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class FspoTrainer(FspoOptions? options = null) : IUserRewardTrainer
{
    /// <summary>The options.</summary>
    public FspoOptions Options { get; } = options ?? new FspoOptions();

    /// <inheritdoc />
    public string Kind => FspoRewardModel.KindName;

    /// <summary>Trains the model.</summary>
    /// <param name="trainingData">The pairs (users need at least <see cref="FspoOptions.MinContextPairs"/> + 1 training pairs to form episodes).</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The model, with every seen user's state (the summary of their most recent pairs) in memory.</returns>
    public FspoRewardModel Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var session = TrainingSession.Start(trainingData, Options);
        var network = session.CreateModule(() => new FspoNetwork(trainingData.ResponseDimension, trainingData.PromptDimension, Options));
        TrainingReport report;
        int episodeUsers;
        using (var objective = new FspoObjective(network, session, Options))
        {
            episodeUsers = objective.EpisodeUsers;
            report = TrainingLoop.Run(objective, Options, "meta-train", progress, cancellationToken);
        }

        var metrics = session.Metrics(report);
        metrics["episode_users"] = episodeUsers;
        var info = Describe(trainingData.ResponseDimension, trainingData.PromptDimension, Options) with
        {
            Seed = Options.Seed,
            TrainingData = session.DataInfo,
            Metrics = metrics,
        };
        var model = new FspoRewardModel(network, Options, info, new InMemoryUserStateStore(), session.Device, ownsStore: true);

        // A seen user's state is the summary of the pairs their state retains (the most recent ones), so adapting
        // them later with new pairs re-encodes exactly what the stored state was made from.
        var keep = EncodedPairs(Options);
        var users = trainingData.RecordsByUser().Select(records => trainingData.Select(records.AsSpan(Math.Max(records.Length - keep, 0)))).ToList();
        session.StoreSeenUserStates(model, model.Encode(users, cancellationToken));
        return model;
    }

    /// <inheritdoc />
    IUserRewardModel IUserRewardTrainer.Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        Fit(trainingData, progress, cancellationToken);

    /// <summary>How many of a seen user's most recent pairs their state encodes: the evidence capacity, or when none is retained, the largest training context.</summary>
    internal static int EncodedPairs(FspoOptions options) =>
        Math.Min(options.EvidenceCapacity > 0 ? options.EvidenceCapacity : options.MaxContextPairs, FspoInference.MaxPairsPerUser);

    private static string Reading(FspoOptions options) => (options.SetEncoder, options.AdaptationSteps) switch
    {
        (true, 0) => "set encoder",
        (true, var steps) => $"set encoder then {steps} adaptation steps",
        (false, var steps) => $"{steps} adaptation steps from the population summary",
    };

    internal static TorchModelInfo Describe(RunManifest manifest, FspoOptions options) =>
        Describe(manifest.ResponseDimension, manifest.PromptDimension, options).FromManifest(manifest);

    private static TorchModelInfo Describe(int responseDimension, int promptDimension, FspoOptions options) => new()
    {
        Kind = FspoRewardModel.KindName,
        ResponseDimension = responseDimension,
        PromptDimension = promptDimension,
        IsPersonalized = true,
        Options = ModelOptionsJson.Write(options, ModelOptionsJson.Default.FspoOptions),
        EvidenceCapacity = options.EvidenceCapacity,
        Description = $"FSPO: {Reading(options)} over up to {options.MaxContextPairs} context pairs (meta-trained), {options.SummarySize}-float summary, " +
            $"reward head [{string.Join(", ", options.HeadHiddenSizes)}]",
    };
}
