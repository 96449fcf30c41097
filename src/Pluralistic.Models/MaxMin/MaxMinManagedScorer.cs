using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.MaxMin;

/// <summary>MaxMin's managed forward: the K heads' rewards of [x ; prompt] weighted by the user's state (group weights).</summary>
internal static class MaxMinManagedScorer
{
    /// <summary>Compiles the heads (one MLP with K outputs, or K parallel MLPs).</summary>
    public static IManagedScorer Create(MaxMinNetwork network)
    {
        var heads = network.named_children().Single(c => c.name == "heads").module;
        if (heads is Mlp mlp)
        {
            return ManagedFeatureScorer.Of(ManagedSequence.Compile(mlp), network.Groups);
        }

        var parallel = (ParallelMlp)heads;
        var members = Enumerable.Range(0, network.Groups).Select(k => ManagedSequence.Compile(parallel, k)).ToArray();
        return new ManagedFeatureScorer(
            (rows, m, output) =>
            {
                var one = ManagedScoring.Rent(m);
                try
                {
                    for (var k = 0; k < members.Length; k++)
                    {
                        members[k].Forward(rows, m, one.AsSpan(0, m));
                        for (var r = 0; r < m; r++)
                        {
                            output[(r * members.Length) + k] = one[r];
                        }
                    }
                }
                finally
                {
                    ManagedScoring.Return(one);
                }
            },
            parallel.InputFeatures,
            network.Groups,
            members.Sum(h => h.Work),
            network.Groups);
    }
}
