using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class PairEncoderTests
{
    [Fact]
    public void The_difference_encoding_is_antisymmetric_and_the_concatenation_is_not()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(4);
        var chosen = randn(5, 3, 8, generator: generator);
        var rejected = randn(5, 3, 8, generator: generator);
        var prompts = randn(5, 3, 2, generator: generator);
        using var difference = TorchRuntime.Seeded(4, () => new PairEncoder(8, 2, [16], 6, activation: Activation.LeakyRelu, encoding: PairEncoding.Difference));
        var forward = difference.call(chosen, rejected, prompts);
        Assert.Equal([5, 3, 6], forward.shape);
        Assert.True((forward + difference.call(rejected, chosen, prompts)).abs().max().item<float>() < 1e-6f);

        using var concatenate = TorchRuntime.Seeded(5, () => new PairEncoder(8, 2, [16], 6));
        Assert.True((concatenate.call(chosen, rejected, prompts) + concatenate.call(rejected, chosen, prompts)).abs().max().item<float>() > 1e-3f);
    }
}
