using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>The population reward of the baseline: r(x, prompt) = head([x ; prompt]), plus the item's effect on catalogue data (<see cref="Pluralistic.Torch.ItemEffects"/>).</summary>
internal sealed class BradleyTerryNetwork : PopulationRewardNetwork
{
    public BradleyTerryNetwork(int responseDimension, int promptDimension, BradleyTerryOptions options)
        : base("bradley_terry", new Mlp(responseDimension + promptDimension, options.Head == RewardHead.Linear ? [] : options.HiddenSizes, 1, options.Activation, options.Dropout, name: "head"))
    {
        ResponseDimension = responseDimension;
        IsLinear = options.Head == RewardHead.Linear;
    }

    public int ResponseDimension { get; }

    public bool IsLinear { get; }

    /// <summary>For the linear head, the weights on the response (the prompt's and the bias cancel in differences): [1, d].</summary>
    public Tensor ResponseWeights => Head.OutputLayer.weight!.narrow(1, 0, ResponseDimension);
}
