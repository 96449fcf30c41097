using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>Trains the Bradley-Terry baseline on the shared training loop.</summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class BradleyTerryTrainer(BradleyTerryOptions? options = null)
    : TorchRewardTrainer<BradleyTerryOptions, BradleyTerryRewardModel>(BradleyTerryKind.Instance, options)
{
    /// <inheritdoc />
    protected override TrainedPopulation<BradleyTerryOptions> TrainPopulation(
        TrainingSession session, BradleyTerryOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var network = session.CreateModule(() => new BradleyTerryNetwork(data.ResponseDimension, data.PromptDimension, options));
        TrainingReport report;
        if (options.Head == RewardHead.Linear && options.RewardCentering == 0)
        {
            using var linear = new LinearDifferenceObjective(network, session);
            report = TrainingLoop.Run(linear, options, "train", progress, cancellationToken);
        }
        else
        {
            report = TrainingLoop.Run(new Objective(network, session, options), options, "train", progress, cancellationToken);
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        ItemEffectsFit.Attach(network, data, session.TrainRecords, session.ValidationRecords, session.Device, metrics);
        var (mean, std) = RewardStatistics(network, data);
        metrics["reward_mean"] = mean;
        metrics["reward_std"] = std;
        return new TrainedPopulation<BradleyTerryOptions>
        {
            Network = network,
            Report = report,
            Metrics = metrics,
            SeenUserStates = data.Users.Select(_ => Array.Empty<float>()).ToList(),
        };
    }

    /// <summary>
    /// Mean and standard deviation of the reward over training responses (for later normalisation), estimated on
    /// up to 4096 evenly spaced records so large datasets are not scored twice.
    /// </summary>
    private static (double Mean, double Std) RewardStatistics(BradleyTerryNetwork network, PreferenceDataset data)
    {
        var sample = Enumerable.Range(0, Math.Min(data.Count, 4096)).Select(i => (int)((long)i * data.Count / Math.Min(data.Count, 4096))).ToArray();
        using var tensors = new PairTensors(data, sample, network.parameters().First().device);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rewards = cat([network.call(tensors.Chosen, tensors.Prompts), network.call(tensors.Rejected, tensors.Prompts)]);
        return (rewards.mean().item<float>(), rewards.std().item<float>());
    }

    private sealed class Objective(BradleyTerryNetwork network, TrainingSession session, BradleyTerryOptions options)
        : PairwiseObjective(session)
    {
        public override nn.Module Module => network;

        protected override (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch) =>
            (network.call(batch.Chosen, batch.Prompts), network.call(batch.Rejected, batch.Prompts));

        protected override Tensor? Regularizer(PairBatch batch, Tensor chosen, Tensor rejected) =>
            options.RewardCentering > 0 ? chosen.Plus(rejected).Squared().mean().Times(options.RewardCentering) : null;
    }
}
