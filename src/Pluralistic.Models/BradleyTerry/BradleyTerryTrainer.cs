using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>Trains the Bradley-Terry baseline on the shared training loop.</summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class BradleyTerryTrainer(BradleyTerryOptions? options = null) : IUserRewardTrainer
{
    /// <summary>The options.</summary>
    public BradleyTerryOptions Options { get; } = options ?? new BradleyTerryOptions();

    /// <inheritdoc />
    public string Kind => BradleyTerryRewardModel.KindName;

    /// <summary>Trains the model.</summary>
    /// <param name="trainingData">The pairs.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The model, with the seen users' (empty) states in memory.</returns>
    public BradleyTerryRewardModel Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var session = TrainingSession.Start(trainingData, Options);
        var network = session.CreateModule(() => new BradleyTerryNetwork(trainingData.ResponseDimension, trainingData.PromptDimension, Options));
        TrainingReport report;
        if (Options.Head == RewardHead.Linear && Options.RewardCentering == 0)
        {
            using var linear = new LinearDifferenceObjective(network, session);
            report = TrainingLoop.Run(linear, Options, "train", progress, cancellationToken);
        }
        else
        {
            report = TrainingLoop.Run(new Objective(network, session, Options), Options, "train", progress, cancellationToken);
        }

        var metrics = session.Metrics(report);
        (metrics["reward_mean"], metrics["reward_std"]) = RewardStatistics(network, trainingData);
        var info = Describe(trainingData.ResponseDimension, trainingData.PromptDimension, Options) with
        {
            Seed = Options.Seed,
            TrainingData = session.DataInfo,
            Metrics = metrics,
        };
        var model = new BradleyTerryRewardModel(network, info, new InMemoryUserStateStore(), session.Device, ownsStore: true);
        session.StoreSeenUserStates(model, trainingData.Users.Select(_ => Array.Empty<float>()).ToList());
        return model;
    }

    /// <inheritdoc />
    IUserRewardModel IUserRewardTrainer.Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        Fit(trainingData, progress, cancellationToken);

    internal static TorchModelInfo Describe(RunManifest manifest, BradleyTerryOptions options) =>
        Describe(manifest.ResponseDimension, manifest.PromptDimension, options).FromManifest(manifest);

    private static TorchModelInfo Describe(int responseDimension, int promptDimension, BradleyTerryOptions options) => new()
    {
        Kind = BradleyTerryRewardModel.KindName,
        ResponseDimension = responseDimension,
        PromptDimension = promptDimension,
        IsPersonalized = false,
        Options = ModelOptionsJson.Write(options, ModelOptionsJson.Default.BradleyTerryOptions),
        EvidenceCapacity = options.EvidenceCapacity,
        Description = options.Head == RewardHead.Linear
            ? "Bradley-Terry baseline, linear head"
            : $"Bradley-Terry baseline, MLP head [{string.Join(", ", options.HiddenSizes)}]",
    };

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
