using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>Trains VPL on the shared training loop with per-user episodes.</summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class VplTrainer(VplOptions? options = null) : IUserRewardTrainer
{
    /// <summary>The options.</summary>
    public VplOptions Options { get; } = options ?? new VplOptions();

    /// <inheritdoc />
    public string Kind => VplRewardModel.KindName;

    /// <summary>Trains the model.</summary>
    /// <param name="trainingData">The pairs (several per user).</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>
    /// The model, with every seen user's posterior inferred by the encoder from the user's most recent pairs (as many
    /// as a state retains as evidence) in memory.
    /// </returns>
    /// <exception cref="EmptyContextException">No user has more pairs than the smallest context.</exception>
    public VplRewardModel Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainingData);
        using var session = TrainingSession.Start(trainingData, Options);
        var network = session.CreateModule(() => new VplNetwork(trainingData.ResponseDimension, trainingData.PromptDimension, Options));
        if (network.ScalesRewards)
        {
            SetReferenceSet(network, session);
        }

        TrainingReport report;
        int episodeUsers;
        using (var objective = new VplObjective(network, session, Options))
        {
            episodeUsers = objective.EpisodeUsers;
            if (episodeUsers == 0)
            {
                throw new EmptyContextException($"VPL needs users with more than {Options.MinContextPairs} training pairs (a context and a query); none has");
            }

            report = TrainingLoop.Run(objective, Options, "train", progress, cancellationToken);
        }

        // Seen users: the encoder reads the pairs their stored state retains as evidence (or all, up to the encoder's cap).
        var byUser = trainingData.RecordsByUser();
        var keep = Options.EvidenceCapacity > 0 ? Options.EvidenceCapacity : int.MaxValue;
        var seen = byUser.Select(records => trainingData.Select(records.AsSpan(records.Length - Math.Min(keep, records.Length)))).ToList();
        var states = VplInference.InferStates(network, seen, session.Device, cancellationToken);
        var activeUnits = states.Length >= 2 ? VplRewardModel.ActiveUnits(states, Options.LatentSize, ActiveUnitsReport.DefaultThreshold).ActiveUnits : 0;

        var metrics = session.Metrics(report);
        metrics["episode_users"] = episodeUsers;
        metrics["active_latent_units"] = activeUnits;
        metrics["mean_posterior_variance"] = states.Length == 0 ? double.NaN : states.Average(s => s[Options.LatentSize..].Average(v => Math.Exp(v)));
        var info = Describe(trainingData.ResponseDimension, trainingData.PromptDimension, Options) with
        {
            Seed = Options.Seed,
            TrainingData = session.DataInfo,
            Metrics = metrics,
        };
        var model = new VplRewardModel(network, Options, info, new InMemoryUserStateStore(), session.Device, ownsStore: true);
        session.StoreSeenUserStates(model, states);
        return model;
    }

    /// <inheritdoc />
    IUserRewardModel IUserRewardTrainer.Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        Fit(trainingData, progress, cancellationToken);

    internal static TorchModelInfo Describe(RunManifest manifest, VplOptions options) =>
        Describe(manifest.ResponseDimension, manifest.PromptDimension, options).FromManifest(manifest);

    private static TorchModelInfo Describe(int responseDimension, int promptDimension, VplOptions options) => new()
    {
        Kind = VplRewardModel.KindName,
        ResponseDimension = responseDimension,
        PromptDimension = promptDimension,
        IsPersonalized = true,
        Options = ModelOptionsJson.Write(options, ModelOptionsJson.Default.VplOptions),
        EvidenceCapacity = options.EvidenceCapacity,
        Description = $"VPL, latent {options.LatentSize}, head [{string.Join(", ", options.HeadHiddenSizes)}], beta {options.Beta:G3}"
            + (options.RewardScaling == VplRewardScaling.WinProbability ? $", rewards as win probability against {options.ReferenceResponses} reference responses" : string.Empty),
    };

    /// <summary>Draws the reference responses of reward scaling from the training pairs (chosen or rejected, with their prompts), seeded.</summary>
    private void SetReferenceSet(VplNetwork network, TrainingSession session)
    {
        var data = session.Data;
        var random = new Random(Options.Seed ^ 0x5EED);
        var count = Options.ReferenceResponses;
        var d = data.ResponseDimension;
        var dp = data.PromptDimension;
        var responses = new float[count * d];
        var prompts = new float[count * dp];
        for (var i = 0; i < count; i++)
        {
            var record = session.TrainRecords[random.Next(session.TrainRecords.Length)];
            (random.Next(2) == 0 ? data.ChosenVector(record) : data.RejectedVector(record)).CopyTo(responses.AsSpan(i * d, d));
            data.PromptVector(record).CopyTo(prompts.AsSpan(i * dp, dp));
        }

        using var scope = NewDisposeScope();
        network.SetReferenceSet(
            tensor(responses, [count, d], ScalarType.Float32, session.Device),
            dp > 0 ? tensor(prompts, [count, dp], ScalarType.Float32, session.Device) : null);
    }
}
