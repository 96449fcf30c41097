using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>The Bradley-Terry baseline's managed forward: head([x ; prompt]), the same reward for every user.</summary>
internal static class BradleyTerryManagedScorer
{
    /// <summary>Compiles the network's head.</summary>
    public static IManagedScorer Create(BradleyTerryNetwork network) =>
        ManagedFeatureScorer.Of(ManagedSequence.Compile(ManagedSequence.Child<Mlp>(network, "head")), stateSize: 0);
}
