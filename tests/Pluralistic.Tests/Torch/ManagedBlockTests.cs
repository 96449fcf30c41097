using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

/// <summary>
/// The blocked dense kernels' edges against libtorch (4-row blocks, 32- and 16-column blocks, padded last blocks,
/// leftover rows, layers too narrow for a block), the split over the cores, the folded input division, and the
/// register GELU on every tail length.
/// </summary>
public class ManagedBlockTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(40)]
    [InlineData(48)]
    [InlineData(60)]
    [InlineData(128)]
    public void A_dense_layer_matches_libtorch_on_every_row_and_column_block_edge(int outputs)
    {
        foreach (var inputs in new[] { 1, 37 })
        {
            foreach (var rows in new[] { 1, 3, 4, 5, 8, 9, 64 })
            {
                foreach (var bias in new[] { true, false })
                {
                    using var scope = NewDisposeScope();
                    random.manual_seed((rows * 1000) + (inputs * 10) + outputs);
                    var linear = nn.Linear(inputs, outputs, hasBias: bias);
                    var x = randn(rows, inputs);
                    using var noGrad = no_grad();
                    var expected = linear.call(x).data<float>().ToArray();
                    var actual = Enumerable.Repeat(float.NaN, rows * outputs).ToArray();
                    ManagedSequence.Dense(linear.weight!, linear.bias, transposed: false).Apply(x.data<float>().ToArray(), rows, actual);
                    AssertClose(expected, actual, $"{rows} x {inputs} -> {outputs}, bias {bias}");
                }
            }
        }
    }

    [Fact]
    public void A_layer_large_enough_to_split_over_the_cores_matches_libtorch_split_by_tiles_and_by_rows()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        var linear = nn.Linear(768, 136);
        var x = randn(66, 768);
        using var noGrad = no_grad();
        var expected = linear.call(x).data<float>().ToArray();
        var dense = ManagedSequence.Dense(linear.weight!, linear.bias, transposed: false);
        Assert.True(66 * dense.Work >= ManagedParallel.Work);
        var input = x.data<float>().ToArray();

        var byTiles = new float[66 * 136];
        dense.Apply(input, 66, byTiles);
        AssertClose(expected, byTiles, "split by tiles");

        var byRows = new float[66 * 136];
        ManagedParallel.For(66, 4, 66 * dense.Work, (first, count) =>
            dense.Apply(input.AsSpan(first * 768, count * 768), count, byRows.AsSpan(first * 136, count * 136)));
        AssertClose(expected, byRows, "split by rows");
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(3, 4)]
    [InlineData(5, 4)]
    [InlineData(64, 4)]
    [InlineData(65, 4)]
    [InlineData(1001, 8)]
    public void A_split_call_covers_every_unit_once_in_aligned_ranges_and_does_not_split_again(int count, int align)
    {
        var seen = new int[count];
        var nested = new System.Collections.Concurrent.ConcurrentBag<int>();
        var ranges = new System.Collections.Concurrent.ConcurrentBag<(int First, int Count)>();
        ManagedParallel.For(count, align, ManagedParallel.Work, (first, n) =>
        {
            ranges.Add((first, n));
            nested.Add(ManagedParallel.Workers(ManagedParallel.Work * 10, 100));
            for (var i = first; i < first + n; i++)
            {
                Interlocked.Increment(ref seen[i]);
            }
        });

        Assert.All(seen, times => Assert.Equal(1, times));
        Assert.All(ranges, r => Assert.True(r.First % align == 0 && (r.Count % align == 0 || r.First + r.Count == count), $"range {r.First} + {r.Count}"));
        if (ranges.Count > 1)
        {
            Assert.All(nested, workers => Assert.Equal(1, workers));
        }

        // Below the threshold the call is one range on the caller's thread.
        var small = new List<(int, int)>();
        ManagedParallel.For(count, align, ManagedParallel.Work - 1, (first, n) => small.Add((first, n)));
        Assert.Equal([(0, count)], small);
    }

    [Fact]
    public void Folding_an_input_division_into_the_weights_matches_dividing_the_inputs()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(9);
        var linear = nn.Linear(50, 40);
        var x = randn(12, 50);
        var divisors = rand(50).add(ScalarCache.Of(0.05));
        using var noGrad = no_grad();
        var expected = linear.call(x.div(divisors)).data<float>().ToArray();
        var actual = new float[12 * 40];
        ManagedSequence.Dense(linear.weight!, linear.bias, transposed: false)
            .DivideInputs(divisors.data<float>().ToArray())
            .Apply(x.data<float>().ToArray(), 12, actual);
        AssertClose(expected, actual, "divided inputs");
        Assert.Throws<ArgumentException>(() => ManagedSequence.Dense(linear.weight!, linear.bias, transposed: false).DivideInputs(new float[49]));
    }

    [Fact]
    public void The_gelu_matches_libtorch_on_every_tail_length_and_in_both_tails()
    {
        using var scope = NewDisposeScope();
        foreach (var length in Enumerable.Range(1, 40).Append(4099))
        {
            var values = Enumerable.Range(0, length).Select(i => length == 1 ? 0.3f : -14f + (28f * i / (length - 1))).ToArray();
            var expected = nn.functional.gelu(tensor(values)).data<float>().ToArray();
            ManagedActivation.Apply(Activation.Gelu, values);
            AssertClose(expected, values, $"length {length}");
        }

        var extremes = new[] { -100f, -30f, -0f, 0f, 1e-20f, 30f, 100f };
        var reference = nn.functional.gelu(tensor(extremes)).data<float>().ToArray();
        ManagedActivation.Apply(Activation.Gelu, extremes);
        AssertClose(reference, extremes, "extremes");
        var nan = new[] { float.NaN };
        ManagedActivation.Apply(Activation.Gelu, nan);
        Assert.True(float.IsNaN(nan[0]));

        // Infinities: libtorch gives +inf for +inf (and NaN for -inf, where the limit is 0); on both paths, every lane.
        foreach (var length in new[] { 1, 16, 17 })
        {
            var infinite = Enumerable.Range(0, length).Select(i => i % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity).ToArray();
            ManagedActivation.Apply(Activation.Gelu, infinite);
            for (var i = 0; i < length; i++)
            {
                Assert.Equal(i % 2 == 0 ? float.PositiveInfinity : 0f, infinite[i]);
            }
        }

        Assert.Equal(float.PositiveInfinity, nn.functional.gelu(tensor(new[] { float.PositiveInfinity })).data<float>()[0]);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{what}, value {i}: {actual[i]} managed, {expected[i]} libtorch");
        }
    }
}
