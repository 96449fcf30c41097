using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>Trains VPL on the shared training loop with per-user episodes.</summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class VplTrainer(VplOptions? options = null) : TorchRewardTrainer<VplOptions, VplRewardModel>(VplKind.Instance, options)
{
    /// <inheritdoc />
    /// <exception cref="EmptyContextException">No user has more pairs than the smallest context.</exception>
    protected override TrainedPopulation<VplOptions> TrainPopulation(
        TrainingSession session, VplOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var network = session.CreateModule(() => new VplNetwork(data.ResponseDimension, data.PromptDimension, options));
        if (network.ScalesRewards)
        {
            SetReferenceSet(network, session, options);
        }

        TrainingReport report;
        int episodeUsers;
        using (var objective = new VplObjective(network, session, options))
        {
            episodeUsers = objective.EpisodeUsers;
            if (episodeUsers == 0)
            {
                throw new EmptyContextException($"VPL needs users with more than {options.MinContextPairs} training pairs (a context and a query); none has");
            }

            report = TrainingLoop.Run(objective, options, "train", progress, cancellationToken);
        }

        // Seen users: the encoder reads the pairs their stored state retains as evidence (or all, up to the encoder's cap).
        var byUser = data.RecordsByUser();
        var keep = options.EvidenceCapacity > 0 ? options.EvidenceCapacity : int.MaxValue;
        var seen = byUser.Select(records => data.Select(records.AsSpan(records.Length - Math.Min(keep, records.Length)))).ToList();
        var states = VplInference.InferStates(network, seen, session.Device, cancellationToken);
        var activeUnits = states.Length >= 2 ? VplRewardModel.ActiveUnits(states, options.LatentSize, ActiveUnitsReport.DefaultThreshold).ActiveUnits : 0;
        return new TrainedPopulation<VplOptions>
        {
            Network = network,
            Report = report,
            SeenUserStates = states,
            Metrics = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["episode_users"] = episodeUsers,
                ["active_latent_units"] = activeUnits,
                ["mean_posterior_variance"] = states.Length == 0 ? double.NaN : states.Average(s => s[options.LatentSize..].Average(v => Math.Exp(v))),
            },
        };
    }

    /// <summary>Draws the reference responses of reward scaling from the training pairs (chosen or rejected, with their prompts), seeded.</summary>
    private static void SetReferenceSet(VplNetwork network, TrainingSession session, VplOptions options)
    {
        var data = session.Data;
        var random = new Random(session.Seed ^ 0x5EED);
        var count = options.ReferenceResponses;
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
