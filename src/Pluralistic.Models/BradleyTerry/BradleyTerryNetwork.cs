using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>The population reward of the baseline: r(x, prompt) = head([x ; prompt]), plus the item's effect on catalogue data (<see cref="Pluralistic.Torch.ItemEffects"/>).</summary>
internal sealed class BradleyTerryNetwork : nn.Module<Tensor, Tensor?, Tensor>, IItemEffectsHost
{
    private readonly Mlp head;
    private ItemEffects? itemEffects;

    public BradleyTerryNetwork(int responseDimension, int promptDimension, BradleyTerryOptions options)
        : base("bradley_terry")
    {
        ResponseDimension = responseDimension;
        IsLinear = options.Head == RewardHead.Linear;
        var hidden = options.Head == RewardHead.Linear ? [] : options.HiddenSizes;
        head = new Mlp(responseDimension + promptDimension, hidden, 1, options.Activation, options.Dropout, name: "head");
        RegisterComponents();
    }

    public int ResponseDimension { get; }

    public bool IsLinear { get; }

    /// <summary>For the linear head, the weights on the response (the prompt's and the bias cancel in differences): [1, d].</summary>
    public Tensor ResponseWeights => head.OutputLayer.weight!.narrow(1, 0, ResponseDimension);

    /// <inheritdoc />
    public ItemEffects? ItemEffects => itemEffects;

    /// <inheritdoc />
    public void AttachItemEffects(ItemEffects effects)
    {
        register_module(Pluralistic.Torch.ItemEffects.ModuleName, effects);
        itemEffects = effects;
    }

    /// <summary>Rewards of responses [B, d] (with prompts [B, dp]) as [B], with the items' effects when it has them.</summary>
    public override Tensor forward(Tensor responses, Tensor? prompts)
    {
        var rewards = head.call(RewardInputs.Of(responses, prompts)).squeeze(-1);
        return itemEffects is null ? rewards : rewards.Plus(itemEffects.call(responses));
    }
}
