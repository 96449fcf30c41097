using Pluralistic.Torch;

namespace Pluralistic.Models.Fspo;

/// <summary>Meta-trains FSPO on per-user episodes with the shared training loop.</summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class FspoTrainer(FspoOptions? options = null) : TorchRewardTrainer<FspoOptions, FspoRewardModel>(FspoKind.Instance, options)
{
    /// <inheritdoc />
    protected override TrainedPopulation<FspoOptions> TrainPopulation(
        TrainingSession session, FspoOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var network = session.CreateModule(() => new FspoNetwork(data.ResponseDimension, data.PromptDimension, options));
        using var objective = new FspoObjective(network, session, options);
        var report = TrainingLoop.Run(objective, options, "meta-train", progress, cancellationToken);
        return new TrainedPopulation<FspoOptions>
        {
            Network = network,
            Report = report,
            Metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["episode_users"] = objective.EpisodeUsers },
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// A seen user's state is the summary of the pairs their state retains (the most recent ones), so adapting them
    /// later with new pairs re-encodes exactly what the stored state was made from.
    /// </remarks>
    protected override IReadOnlyList<float[]> SeenUserStates(FspoRewardModel model, TrainingSession session, FspoOptions options, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var keep = EncodedPairs(options);
        var users = data.RecordsByUser().Select(records => data.Select(records.AsSpan(Math.Max(records.Length - keep, 0)))).ToList();
        return model.Encode(users, cancellationToken);
    }

    /// <summary>How many of a seen user's most recent pairs their state encodes: the evidence capacity, or when none is retained, the largest training context.</summary>
    internal static int EncodedPairs(FspoOptions options) =>
        Math.Min(options.EvidenceCapacity > 0 ? options.EvidenceCapacity : options.MaxContextPairs, FspoInference.MaxPairsPerUser);
}
