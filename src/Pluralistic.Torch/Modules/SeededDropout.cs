using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// Inverted dropout whose masks come from the module's own generator instead of libtorch's process-wide one.
/// </summary>
/// <remarks>
/// <c>nn.Dropout</c> draws from the process-wide generator, so a model training with dropout on one thread
/// shifts the parameter initialisation of a model being built with a fixed seed on another (see
/// <see cref="TorchRuntime.Seeded{T}"/>), and its own run is not reproducible either. The generator is
/// seeded from one draw of the process-wide generator at construction, so building the module under a seed makes
/// its masks deterministic too. Masks are drawn on the CPU and moved, so a run gives the same masks on any device.
/// </remarks>
public sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly Generator generator;

    /// <summary>Creates the dropout.</summary>
    /// <param name="probability">Probability of zeroing an element, in [0, 1).</param>
    /// <param name="name">Module name.</param>
    public SeededDropout(double probability, string name = "dropout")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probability);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(probability, 1);
        Probability = probability;
        using var draw = randint(0, int.MaxValue, [1], ScalarType.Int64);
        generator = new Generator((ulong)draw.item<long>());
        RegisterComponents();
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!training || Probability == 0)
        {
            return input.alias();
        }

        using var scope = NewDisposeScope();
        var keep = ScalarCache.Of(1 - Probability);
        var mask = rand(input.shape, ScalarType.Float32, CPU, generator: generator).lt_(keep).to(input.dtype).to(input.device);
        return input.mul(mask).div_(keep).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            generator.Dispose();
        }

        base.Dispose(disposing);
    }
}
