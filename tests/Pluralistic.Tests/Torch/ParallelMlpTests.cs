using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class ParallelMlpTests
{
    [Fact]
    public void Every_member_is_an_independent_mlp_of_its_own_weights()
    {
        using var mlp = TorchRuntime.Seeded(3, () => new ParallelMlp(members: 3, inputs: 5, hidden: [4], outputs: 2, Activation.Tanh));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(3);
        var x = randn(7, 5, generator: generator);
        var output = mlp.call(x);
        Assert.Equal([7L, 3, 2], output.shape);

        var parameters = mlp.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        for (var k = 0; k < 3; k++)
        {
            var hidden = tanh(x.matmul(parameters["weights.0"][k]) + parameters["biases.0"][k]);
            var expected = hidden.matmul(parameters["weights.1"][k]) + parameters["biases.1"][k];
            Assert.True(allclose(expected, output.select(1, k), rtol: 1e-5, atol: 1e-6), $"member {k}");
        }
    }

    [Fact]
    public void Members_start_with_different_weights_in_the_linear_layer_range()
    {
        using var mlp = TorchRuntime.Seeded(4, () => new ParallelMlp(members: 2, inputs: 16, hidden: [8], outputs: 1));
        using var scope = NewDisposeScope();
        var first = mlp.named_parameters().First(p => p.name == "weights.0").parameter;
        Assert.False(allclose(first[0], first[1]));
        Assert.True(first.abs().max().item<float>() <= 0.25f + 1e-6f); // 1 / sqrt(16)
    }
}
