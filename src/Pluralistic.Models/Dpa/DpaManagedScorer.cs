using System.Numerics.Tensors;
using Pluralistic.Torch.Managed;

namespace Pluralistic.Models.Dpa;

/// <summary>
/// DPA's managed forward: the objectives r(x) of standardised [x ; prompt] (through the random tanh features when
/// the regression uses them), weighted by the user's direction and the reward scale. The standardisation's division
/// is folded into the first layer's weights when the scorer is compiled (W / std applied to x - mean), so a request
/// only centres its rows: a vector division per input value cost more than a tenth of a 64-candidate request.
/// </summary>
internal static class DpaManagedScorer
{
    /// <summary>Compiles the network.</summary>
    public static IManagedScorer Create(DpaNetwork network, double scale)
    {
        var mean = ManagedSequence.TensorValues(network, "input_mean");
        var std = ManagedSequence.TensorValues(network, "input_std");
        var objectives = ManagedSequence.Compile(network.ObjectiveHead);
        var features = network.named_children().Where(c => c.name == "features").Select(c => c.module).FirstOrDefault() is { } random
            ? new ManagedDense(ManagedSequence.TensorValues(random, "weight"), ManagedSequence.TensorValues(random, "bias"), objectives.Inputs, network.InputDimension).DivideInputs(std)
            : null;
        if (features is null)
        {
            objectives = objectives.DivideInputs(std);
        }

        var d = network.InputDimension;
        return new ManagedFeatureScorer(
            (rows, m, output) =>
            {
                var centred = ManagedScoring.Rent((long)m * d);
                var projected = features is null ? null : ManagedScoring.Rent((long)m * features.Outputs);
                try
                {
                    for (var r = 0; r < m; r++)
                    {
                        TensorPrimitives.Subtract(rows.Slice(r * d, d), mean, centred.AsSpan(r * d, d));
                    }

                    if (features is null)
                    {
                        objectives.Forward(centred.AsSpan(0, m * d), m, output);
                        return;
                    }

                    var f = projected!.AsSpan(0, m * features.Outputs);
                    features.Apply(centred.AsSpan(0, m * d), m, f);
                    TensorPrimitives.Tanh(f, f);
                    objectives.Forward(f, m, output);
                }
                finally
                {
                    ManagedScoring.Return(centred);
                    if (projected is not null)
                    {
                        ManagedScoring.Return(projected);
                    }
                }
            },
            d,
            objectives.Outputs,
            objectives.Work + (features?.Work ?? 0) + d,
            objectives.Outputs,
            (float)scale);
    }
}
