using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// K independent multilayer perceptrons of the same shape evaluated in one batched pass: each layer is one batched
/// matrix product over stacked weights [K, in, out], so a mixture of K heads costs about as many kernel calls as one
/// head. Layout per member as <see cref="Mlp"/>: Linear, activation (and dropout) per hidden layer, then a final
/// Linear. Parameters are initialised per member as <c>nn.Linear</c> does (uniform in +-1/sqrt(fan in)).
/// </summary>
public sealed class ParallelMlp : nn.Module<Tensor, Tensor>
{
    private readonly ParameterList weights;
    private readonly ParameterList biases;
    private readonly nn.Module<Tensor, Tensor> activation;
    private readonly nn.Module<Tensor, Tensor>? dropout;

    /// <summary>Creates K MLPs.</summary>
    /// <param name="members">K, the number of independent MLPs.</param>
    /// <param name="inputs">Input features (shared by all members).</param>
    /// <param name="hidden">Hidden layer widths (may be empty).</param>
    /// <param name="outputs">Output features of each member.</param>
    /// <param name="activation">Nonlinearity.</param>
    /// <param name="dropout">Dropout after each hidden activation (0: none).</param>
    /// <param name="name">Module name.</param>
    public ParallelMlp(int members, int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation = Activation.Relu, double dropout = 0, string name = "parallel_mlp")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(members);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        Members = members;
        InputFeatures = inputs;
        OutputFeatures = outputs;
        weights = new ParameterList();
        biases = new ParameterList();
        var width = inputs;
        foreach (var next in hidden.Append(outputs))
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(next);
            var bound = 1 / Math.Sqrt(width);
            weights.Add(nn.Parameter(empty(members, width, next).uniform_(-bound, bound)));
            biases.Add(nn.Parameter(empty(members, 1, next).uniform_(-bound, bound)));
            width = next;
        }

        this.activation = Mlp.Create(activation);
        this.dropout = dropout > 0 ? new SeededDropout(dropout) : null;
        RegisterComponents();
    }

    /// <summary>K.</summary>
    public int Members { get; }

    /// <summary>Input features.</summary>
    public int InputFeatures { get; }

    /// <summary>Output features of each member.</summary>
    public int OutputFeatures { get; }

    /// <summary>Applies every member to every row.</summary>
    /// <param name="input">[B, inputs].</param>
    /// <returns>[B, K, outputs]: member k's output for row b.</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = input.unsqueeze(0).expand(Members, input.shape[0], input.shape[1]);
        for (var layer = 0; layer < weights.Count; layer++)
        {
            // bmm then add: TorchSharp 0.107.0 passes baddbmm's operands to libtorch in the wrong order.
            x = x.bmm(weights[layer]).Plus(biases[layer]);
            if (layer < weights.Count - 1)
            {
                x = activation.call(x);
                if (dropout is not null)
                {
                    x = dropout.call(x);
                }
            }
        }

        return x.permute(1, 0, 2);
    }
}
