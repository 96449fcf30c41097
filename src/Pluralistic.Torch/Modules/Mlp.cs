using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>Nonlinearity between MLP layers.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>Leaky ReLU with slope 0.2 (VPL's reference choice).</summary>
    LeakyRelu,

    /// <summary>Gaussian error linear unit.</summary>
    Gelu,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh,

    /// <summary>x * sigmoid(x).</summary>
    Silu,
}

/// <summary>
/// A multilayer perceptron: Linear, activation (and dropout) per hidden layer, then a final Linear with no
/// activation. With no hidden layers it is a single linear map.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> layers;

    /// <summary>Creates the MLP.</summary>
    /// <param name="inputs">Input features.</param>
    /// <param name="hidden">Hidden layer widths (may be empty).</param>
    /// <param name="outputs">Output features.</param>
    /// <param name="activation">Nonlinearity.</param>
    /// <param name="dropout">Dropout after each hidden activation (0: none).</param>
    /// <param name="bias">Whether the final layer has a bias.</param>
    /// <param name="name">Module name.</param>
    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation = Activation.Relu, double dropout = 0, bool bias = true, string name = "mlp")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        InputFeatures = inputs;
        OutputFeatures = outputs;
        layers = new ModuleList<nn.Module<Tensor, Tensor>>();
        var width = inputs;
        foreach (var h in hidden)
        {
            layers.Add(nn.Linear(width, h));
            layers.Add(Create(activation));
            if (dropout > 0)
            {
                layers.Add(new SeededDropout(dropout));
            }

            width = h;
        }

        OutputLayer = nn.Linear(width, outputs, hasBias: bias);
        layers.Add(OutputLayer);
        RegisterComponents();
    }

    /// <summary>The final linear layer (the whole MLP when there are no hidden layers).</summary>
    public Linear OutputLayer { get; }

    /// <summary>Input features.</summary>
    public int InputFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutputFeatures { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers)
        {
            x = layer.call(x);
        }

        return x;
    }

    /// <summary>Creates an activation module.</summary>
    /// <param name="activation">Which.</param>
    /// <returns>The module.</returns>
    public static nn.Module<Tensor, Tensor> Create(Activation activation) => activation switch
    {
        Activation.Relu => nn.ReLU(),
        Activation.LeakyRelu => new LeakyRelu(0.2),
        Activation.Gelu => nn.GELU(),
        Activation.Tanh => nn.Tanh(),
        Activation.Silu => nn.SiLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };
}
