using Pluralistic.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>
/// Trains PAL on the shared training loop: the projectors, the prototypes and every seen user's mixture logits W_u
/// jointly, with separate learning rates for the projectors and for the prototypes and user weights. Seen users'
/// logits become their states; the population's mixture (the cold-start state) is the mean of their mixtures.
/// </summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class PalTrainer(PalOptions? options = null) : TorchRewardTrainer<PalOptions, PalRewardModel>(PalKind.Instance, options)
{
    /// <inheritdoc />
    protected override TrainedPopulation<PalOptions> TrainPopulation(
        TrainingSession session, PalOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var d = data.ResponseDimension;
        var dp = data.PromptDimension;

        // K resolved against the data, so the manifest records the K the weights have.
        options = options with { Prototypes = options.ResolvePrototypes(dp) };
        TrainingReport report;
        float[][] userLogits;
        PalNetwork network;
        using (var training = session.CreateModule(() => new PalTrainingModule(new PalNetwork(d, dp, options), data.Users.Count)))
        {
            if (options.PrototypeInitialization == PrototypeInitialization.Responses)
            {
                InitializePrototypes(training.Network, session);
            }

            report = TrainingLoop.Run(new Objective(training, session, options), options, "train", progress, cancellationToken);

            // The model gets its own copy of the population parameters; the training module (with the seen users'
            // logits, which become states) is disposed here.
            network = session.CreateModule(() => new PalNetwork(d, dp, options));
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var trained = training.Network.state_dict();
            foreach (var (name, value) in network.state_dict())
            {
                value.copy_(trained[name]);
            }

            var logits = training.UserLogits.detach();
            var (coldStart, priorMean, priorPrecision) = Population(logits);
            network.SetPopulation(coldStart, priorMean, priorPrecision);
            var flat = logits.cpu().contiguous().data<float>().ToArray();
            var k = network.K;
            userLogits = Enumerable.Range(0, data.Users.Count).Select(u => flat.AsSpan(u * k, k).ToArray()).ToArray();
        }

        return new TrainedPopulation<PalOptions> { Network = network, Report = report, Options = options, SeenUserStates = userLogits, SeenStatesFromTrainingPairs = true };
    }

    /// <summary>
    /// What the seen users' logits [U, K] say about the population. The cold-start logits: the log of the mean of the
    /// users' mixtures (centred), so a user without pairs is the average user — for PAL-B exactly the mean of the
    /// users' ideal-point mixtures. The prior of a new user's logits: the mean and precision of the users' centred
    /// logits (softmax ignores a common shift), with a ridge of a tenth of the mean variance so that directions no
    /// seen user varies in are not frozen and the matrix stays invertible.
    /// </summary>
    private static (Tensor ColdStart, Tensor PriorMean, Tensor PriorPrecision) Population(Tensor userLogits)
    {
        var meanMixture = userLogits.softmax(-1).mean([0]).clamp_min(ScalarCache.Of(1e-6)).log();
        var coldStart = meanMixture - meanMixture.mean();

        var centred = userLogits - userLogits.mean([1], keepdim: true);
        var mean = centred.mean([0]);
        var deviations = centred - mean;
        var k = userLogits.shape[1];
        var covariance = deviations.t().matmul(deviations).DividedBy(Math.Max(1, userLogits.shape[0] - 1));
        var ridge = Math.Max(0.1 * covariance.diagonal().mean().item<float>(), 1e-2);
        covariance = covariance.Plus(eye(k, dtype: covariance.dtype, device: covariance.device).Times(ridge));
        return (coldStart, mean, linalg.inv(covariance));
    }

    /// <summary>Starts the prototypes at K distinct training responses (with their prompts), drawn with the training seed.</summary>
    private static void InitializePrototypes(PalNetwork network, TrainingSession session)
    {
        var train = session.Train;
        var picks = Enumerable.Range(0, train.Count).ToArray();
        new Random(session.Seed).Shuffle(picks);
        using var scope = NewDisposeScope();
        var index = PairTensors.IndexTensor(picks.AsSpan(0, Math.Min(network.K, picks.Length)), session.Device);
        var responses = train.Chosen.index_select(0, index);
        if (responses.shape[0] < network.K)
        {
            return;
        }

        var inputs = network.Variant == PalVariant.A && train.Prompts is not null
            ? cat([responses, train.Prompts.index_select(0, index)], dim: -1)
            : responses;
        network.InitializePrototypesFrom(inputs);
    }

    /// <summary>What training optimises: the population parameters and one row of logits per dataset user.</summary>
    private sealed class PalTrainingModule : nn.Module
    {
        private readonly PalNetwork network;
        private readonly Parameter user_logits;

        public PalTrainingModule(PalNetwork network, int users)
            : base("pal_training")
        {
            this.network = network;

            // Random starting mixtures (as in the reference) so users do not start interchangeable.
            user_logits = nn.Parameter(randn(users, network.K));
            RegisterComponents();
        }

        public PalNetwork Network => network;

        public Parameter UserLogits => user_logits;
    }

    private sealed class Objective(PalTrainingModule module, TrainingSession session, PalOptions options) : PairwiseObjective(session)
    {
        public override nn.Module Module => module;

        public override IEnumerable<ParameterGroup> ParameterGroups(RewardTrainerOptions trainerOptions)
        {
            var network = module.Network;
            yield return new ParameterGroup(network.ProjectorParameters.ToList(), options.LearningRate, options.WeightDecay);
            if (network.PrototypeParameters is { } prototypes)
            {
                yield return new ParameterGroup([prototypes], options.PrototypeLearningRate, 0);
            }

            yield return new ParameterGroup([module.UserLogits], options.PrototypeLearningRate, options.UserWeightDecay);
        }

        protected override (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch)
        {
            // Both sides in one pass, so PAL-A's ideal points go through the projector once per row.
            var network = module.Network;
            var b = batch.Chosen.shape[0];
            var logits = module.UserLogits.index_select(0, batch.Users);
            var side = network.Encode(cat([batch.Chosen, batch.Rejected]), batch.Prompts is null ? null : cat([batch.Prompts, batch.Prompts]));
            var rewards = network.Rewards(side, cat([logits, logits]));
            return (rewards.narrow(0, 0, b), rewards.narrow(0, b, b));
        }

        protected override Tensor PairLoss(Tensor margin, Tensor weights) => WeightedMean(PalLosses.PerPair(margin, options), weights);
    }
}

/// <summary>PAL's pair losses, shared by training and by fitting users.</summary>
internal static class PalLosses
{
    /// <summary>Per-pair loss of margins r_chosen - r_rejected (any shape), unweighted.</summary>
    public static Tensor PerPair(Tensor margin, PalOptions options) => options.Loss == PalLoss.Hinge
        ? nn.functional.relu(margin.SubtractedFrom(options.HingeMargin))
        : (-margin).Softplus();
}
