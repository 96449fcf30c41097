using System.Runtime.Intrinsics;
using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

/// <summary>The managed scoring path's building blocks against libtorch on the same weights.</summary>
public class ManagedKernelTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 37, 6)]
    [InlineData(8, 64, 8)]
    [InlineData(13, 100, 17)]
    [InlineData(64, 768, 64)]
    public void A_dense_layer_matches_libtorch_on_block_edges(int rows, int inputs, int outputs)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(rows + inputs + outputs);
        var linear = nn.Linear(inputs, outputs);
        var x = randn(rows, inputs);
        var expected = linear.call(x).data<float>().ToArray();
        var dense = ManagedSequence.Dense(linear.weight!, linear.bias, transposed: false);
        var actual = new float[rows * outputs];
        dense.Apply(x.data<float>().ToArray(), rows, actual);
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Silu)]
    public void A_compiled_mlp_matches_libtorch_for_every_activation(Activation activation)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var mlp = new Mlp(21, [19, 5], 3, activation, dropout: 0.5);
        mlp.eval();
        var x = randn(9, 21).mul(ScalarCache.Of(3.0));
        using var noGrad = no_grad();
        var expected = mlp.call(x).data<float>().ToArray();
        var actual = new float[9 * 3];
        ManagedSequence.Compile(mlp).Forward(x.data<float>().ToArray(), 9, actual);
        AssertClose(expected, actual);
    }

    [Fact]
    public void A_compiled_parallel_mlp_member_matches_libtorch()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        using var mlp = new ParallelMlp(3, 10, [6], 1, Activation.Gelu);
        var x = randn(5, 10);
        using var noGrad = no_grad();
        var expected = mlp.call(x).select(1, 2).reshape(-1).data<float>().ToArray();
        var actual = new float[5];
        ManagedSequence.Compile(mlp, 2).Forward(x.data<float>().ToArray(), 5, actual);
        AssertClose(expected, actual);
    }

    [Fact]
    public void A_compiled_conditioned_head_matches_libtorch_on_a_grid()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var head = new ConditionedRewardHead(11, 4, [8, 6], Activation.LeakyRelu);
        var x = randn(7, 11);
        var c = randn(3, 4);
        using var noGrad = no_grad();
        var expected = head.Matrix(x, c).data<float>().ToArray();
        var actual = new float[7 * 3];
        new ManagedConditionedHead(head).Matrix(x.data<float>().ToArray(), [], 7, c.data<float>().ToArray(), 3, actual);
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(Activation.Gelu, 1, 1, 8)]
    [InlineData(Activation.Gelu, 130, 70, 20)]
    [InlineData(Activation.Gelu, 1024, 1000, 32)]
    [InlineData(Activation.LeakyRelu, 130, 70, 20)]
    [InlineData(Activation.Relu, 64, 3, 20)]
    [InlineData(Activation.Tanh, 30, 5, 20)]
    public void A_conditioned_head_with_one_hidden_layer_matches_libtorch_at_every_size(Activation activation, int m, int n, int inputs)
    {
        // One hidden layer of 64 as VPL's and FSPO's heads: with GELU, (leaky) ReLU and 512-bit vectors every pair goes
        // through the fused pass, at 1024 x 1000 split over the cores, 130 responses leaving a partial block of 64.
        using var scope = NewDisposeScope();
        random.manual_seed(m + n);
        using var head = new ConditionedRewardHead(inputs, 8, [64], activation);
        var x = randn(m, inputs).mul(ScalarCache.Of(2.0));
        var c = randn(n, 8);
        using var noGrad = no_grad();
        var expected = head.Matrix(x, c).data<float>().ToArray();
        var managed = new ManagedConditionedHead(head);
        Assert.Equal(ManagedConditionedPairs.Supports(activation), managed.MaxWork == long.MaxValue);
        Assert.Equal(Vector512.IsHardwareAccelerated && activation != Activation.Tanh, managed.MaxWork == long.MaxValue);
        var actual = new float[m * n];
        managed.Matrix(x.data<float>().ToArray(), [], m, c.data<float>().ToArray(), n, actual);
        AssertClose(expected, actual);
    }

    [Fact]
    public void The_exact_gelu_in_registers_and_in_spans_matches_libtorch_from_minus_12_to_12()
    {
        using var scope = NewDisposeScope();
        var x = linspace(-12, 12, 48001);
        var expected = nn.functional.gelu(x).data<float>().ToArray();
        var values = x.data<float>().ToArray();
        var spans = values.ToArray();
        ManagedActivation.Apply(Activation.Gelu, spans);
        var vectors = new float[values.Length];
        var lanes = Vector512<float>.Count;
        for (var i = 0; i + lanes <= values.Length; i += lanes)
        {
            ManagedActivation.Gelu(Vector512.Create(values.AsSpan(i, lanes))).CopyTo(vectors, i);
        }

        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(spans[i] - expected[i]) <= 2e-6, $"gelu({values[i]}): {spans[i]} in spans, {expected[i]} libtorch");
            if (i < values.Length / lanes * lanes)
            {
                Assert.True(Math.Abs(vectors[i] - expected[i]) <= 2e-6, $"gelu({values[i]}): {vectors[i]} in registers, {expected[i]} libtorch");
            }
        }
    }

    [Fact]
    public void A_module_without_a_managed_form_is_refused_with_its_name()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<NotSupportedException>(() => ManagedSequence.ActivationOf(nn.Softplus()));
        Assert.Contains("Softplus", error.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"value {i}: {actual[i]} managed, {expected[i]} libtorch");
        }
    }
}
