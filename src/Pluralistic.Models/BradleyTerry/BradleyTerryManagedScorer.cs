using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>The Bradley-Terry baseline's managed forward: head([x ; prompt]) plus the item's effect, the same reward for every user.</summary>
internal static class BradleyTerryManagedScorer
{
    /// <summary>Compiles the network's head (and its item effects).</summary>
    public static IManagedScorer Create(BradleyTerryNetwork network)
    {
        var head = ManagedFeatureScorer.Of(ManagedSequence.Compile(ManagedSequence.Child<Mlp>(network, "head")), stateSize: 0);
        return network.ItemEffects is { } items ? new ManagedItemEffectsScorer(head, items) : head;
    }
}
