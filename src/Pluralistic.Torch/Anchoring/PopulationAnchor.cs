using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// The population reward a personalized model is anchored to: r_pop(x, prompt) = MLP([x ; prompt]), the
/// Bradley-Terry baseline's shape. It is registered as a submodule of the method's network under
/// <see cref="ModuleName"/>, so its weights travel in the run's weights file under their own keys and the method's
/// keys are unchanged.
/// </summary>
internal sealed class PopulationAnchor : PopulationRewardNetwork
{
    /// <summary>The submodule name (the prefix of its keys in the weights file).</summary>
    public const string ModuleName = "population_anchor";

    public PopulationAnchor(int responseDimension, int promptDimension, IReadOnlyList<int> hiddenSizes)
        : base(ModuleName, new Mlp(responseDimension + promptDimension, hiddenSizes, 1, Activation.Gelu, name: "head"))
    {
    }

    /// <summary>Builds the anchor described by <paramref name="info"/> and registers it under <paramref name="network"/>.</summary>
    public static PopulationAnchor Attach(nn.Module network, ModelShape shape, PopulationAnchorInfo info)
    {
        var anchor = new PopulationAnchor(shape.ResponseDimension, shape.PromptDimension, info.HiddenSizes);

        network.register_module(ModuleName, anchor);
        return anchor;
    }

    /// <summary>The anchor registered under <paramref name="network"/>, or <see langword="null"/>.</summary>
    public static PopulationAnchor? Find(nn.Module network) =>
        network.named_children().Where(c => c.name == ModuleName).Select(c => c.module).OfType<PopulationAnchor>().FirstOrDefault();

    /// <summary>The Bradley-Terry objective of the anchor.</summary>
    internal sealed class Objective : PairwiseObjective
    {
        private readonly PopulationAnchor anchor;

        /// <summary>Over a session's rows, with its batch size and shuffling (the baseline's, in its own session).</summary>
        public Objective(PopulationAnchor anchor, TrainingSession session)
            : base(session) => this.anchor = anchor;

        /// <summary>Over the given rows.</summary>
        public Objective(PopulationAnchor anchor, PairTensors train, PairTensors? validation, int batchSize)
            : base(train, validation, batchSize) => this.anchor = anchor;

        public override nn.Module Module => anchor;

        protected override (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch) =>
            (anchor.call(batch.Chosen, batch.Prompts), anchor.call(batch.Rejected, batch.Prompts));
    }
}
