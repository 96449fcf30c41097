using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// A population reward: r(x, prompt) = head([x ; prompt]), plus the item's effect on catalogue data
/// (<see cref="ItemEffects"/>). The shape the Bradley-Terry baseline and every personalized method's anchor share.
/// </summary>
internal abstract class PopulationRewardNetwork : nn.Module<Tensor, Tensor?, Tensor>, IItemEffectsHost
{
    private readonly Mlp head;
    private ItemEffects? itemEffects;

    /// <summary>Registers <paramref name="head"/> (key prefix <c>head</c>).</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="head">The head over [response ; prompt], one output.</param>
    protected PopulationRewardNetwork(string name, Mlp head)
        : base(name)
    {
        this.head = head;

        // Here, while itemEffects is null: registration left to TorchSharp's first use would also register the
        // effects under their field name, beside the name AttachItemEffects gives them.
        RegisterComponents();
    }

    /// <summary>The head over [response ; prompt].</summary>
    public Mlp Head => head;

    /// <inheritdoc />
    public ItemEffects? ItemEffects => itemEffects;

    /// <inheritdoc />
    public void AttachItemEffects(ItemEffects effects)
    {
        register_module(Pluralistic.Torch.ItemEffects.ModuleName, effects);
        itemEffects = effects;
    }

    /// <summary>Rewards of responses [B, d] (with prompts [B, dp]) as [B], with the items' effects when it has them.</summary>
    /// <param name="responses">Responses [B, d].</param>
    /// <param name="prompts">Prompts [B, dp], or <see langword="null"/>.</param>
    /// <returns>Rewards [B].</returns>
    public override Tensor forward(Tensor responses, Tensor? prompts)
    {
        var rewards = head.call(RewardInputs.Of(responses, prompts)).squeeze(-1);
        return itemEffects is null ? rewards : rewards.Plus(itemEffects.call(responses));
    }
}
