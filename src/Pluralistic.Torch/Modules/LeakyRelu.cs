using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// Leaky ReLU whose slope is a cached Scalar. TorchSharp's <c>nn.LeakyReLU</c> converts its slope to a temporary
/// Scalar on every forward call, exposed to the finalizer race described in docs/architecture.md; the function is the
/// same, and the module has no parameters, so checkpoints are unaffected.
/// </summary>
public sealed class LeakyRelu : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Scalar slope;

    /// <summary>Creates the activation.</summary>
    /// <param name="negativeSlope">Slope for negative inputs.</param>
    public LeakyRelu(double negativeSlope)
        : base(nameof(LeakyRelu))
    {
        NegativeSlope = negativeSlope;
        slope = ScalarCache.Of(negativeSlope);
    }

    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.leaky_relu(slope);
    }
}
