using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// A dense layer y = W x + b over plain float arrays: the weights row-major [outputs, inputs] as libtorch's
/// <c>Linear</c> keeps them, read-only after construction (safe to share between threads). Rows of inputs are
/// multiplied in blocks of 4 rows x 4 outputs with 512-bit vectors where the machine has them (each weight and input
/// load feeds four multiply-adds), and by <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// for the edges and elsewhere.
/// </summary>
internal sealed class ManagedDense
{
    private const int Block = 4;

    private readonly float[] _weights;
    private readonly float[]? _bias;

    /// <summary>Creates the layer.</summary>
    /// <param name="weights">[outputs, inputs], row-major.</param>
    /// <param name="bias">[outputs] or <see langword="null"/>.</param>
    /// <param name="outputs">Output features.</param>
    /// <param name="inputs">Input features.</param>
    public ManagedDense(float[] weights, float[]? bias, int outputs, int inputs)
    {
        if (weights.Length != outputs * inputs || (bias is not null && bias.Length != outputs))
        {
            throw new ArgumentException($"a dense layer of {outputs} x {inputs} needs that many weights and {outputs} biases");
        }

        _weights = weights;
        _bias = bias;
        Outputs = outputs;
        Inputs = inputs;
    }

    /// <summary>Output features.</summary>
    public int Outputs { get; }

    /// <summary>Input features.</summary>
    public int Inputs { get; }

    /// <summary>Multiply-adds per input row.</summary>
    public long Work => (long)Outputs * Inputs;

    /// <summary>Row <paramref name="output"/> of the weights.</summary>
    public ReadOnlySpan<float> Row(int output) => _weights.AsSpan(output * Inputs, Inputs);

    /// <summary>The bias of <paramref name="output"/> (0 without a bias).</summary>
    public float Bias(int output) => _bias is null ? 0f : _bias[output];

    /// <summary>Applies the layer to <paramref name="rows"/> rows: [rows, inputs] to [rows, outputs].</summary>
    /// <param name="input">[rows, inputs], row-major.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="output">Receives [rows, outputs], row-major.</param>
    public void Apply(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        var n = Inputs;
        var o = Outputs;
        var blockedRows = Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count ? rows / Block * Block : 0;
        var blockedOutputs = blockedRows > 0 ? o / Block * Block : 0;
        for (var r = 0; r < blockedRows; r += Block)
        {
            for (var j = 0; j < blockedOutputs; j += Block)
            {
                Kernel4x4(input.Slice(r * n, Block * n), j, n, output.Slice(r * o), o);
            }
        }

        for (var r = 0; r < rows; r++)
        {
            var x = input.Slice(r * n, n);
            var y = output.Slice(r * o, o);
            for (var j = r < blockedRows ? blockedOutputs : 0; j < o; j++)
            {
                y[j] = TensorPrimitives.Dot(x, Row(j));
            }
        }

        if (_bias is not null)
        {
            for (var r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(output.Slice(r * o, o), _bias, output.Slice(r * o, o));
            }
        }
    }

    /// <summary>Four rows times four outputs: sixteen accumulators, eight loads per sixteen multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Kernel4x4(ReadOnlySpan<float> rows, int firstOutput, int n, Span<float> output, int outputStride)
    {
        ref var x0 = ref MemoryMarshal.GetReference(rows);
        ref var x1 = ref Unsafe.Add(ref x0, n);
        ref var x2 = ref Unsafe.Add(ref x1, n);
        ref var x3 = ref Unsafe.Add(ref x2, n);
        ref var w0 = ref _weights[firstOutput * n];
        ref var w1 = ref Unsafe.Add(ref w0, n);
        ref var w2 = ref Unsafe.Add(ref w1, n);
        ref var w3 = ref Unsafe.Add(ref w2, n);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var width = Vector512<float>.Count;
        var k = 0;
        for (; k <= n - width; k += width)
        {
            var v0 = Vector512.LoadUnsafe(ref w0, (nuint)k);
            var v1 = Vector512.LoadUnsafe(ref w1, (nuint)k);
            var v2 = Vector512.LoadUnsafe(ref w2, (nuint)k);
            var v3 = Vector512.LoadUnsafe(ref w3, (nuint)k);
            var u = Vector512.LoadUnsafe(ref x0, (nuint)k);
            a00 = Vector512.FusedMultiplyAdd(u, v0, a00);
            a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(u, v2, a02);
            a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
            u = Vector512.LoadUnsafe(ref x1, (nuint)k);
            a10 = Vector512.FusedMultiplyAdd(u, v0, a10);
            a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(u, v2, a12);
            a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
            u = Vector512.LoadUnsafe(ref x2, (nuint)k);
            a20 = Vector512.FusedMultiplyAdd(u, v0, a20);
            a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(u, v2, a22);
            a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
            u = Vector512.LoadUnsafe(ref x3, (nuint)k);
            a30 = Vector512.FusedMultiplyAdd(u, v0, a30);
            a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(u, v2, a32);
            a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
        }

        Span<float> sums =
        [
            Vector512.Sum(a00), Vector512.Sum(a01), Vector512.Sum(a02), Vector512.Sum(a03),
            Vector512.Sum(a10), Vector512.Sum(a11), Vector512.Sum(a12), Vector512.Sum(a13),
            Vector512.Sum(a20), Vector512.Sum(a21), Vector512.Sum(a22), Vector512.Sum(a23),
            Vector512.Sum(a30), Vector512.Sum(a31), Vector512.Sum(a32), Vector512.Sum(a33),
        ];
        for (var r = 0; r < Block; r++)
        {
            ref var x = ref Unsafe.Add(ref x0, r * n);
            for (var j = 0; j < Block; j++)
            {
                ref var w = ref Unsafe.Add(ref w0, j * n);
                var sum = sums[(r * Block) + j];
                for (var t = k; t < n; t++)
                {
                    sum += Unsafe.Add(ref x, t) * Unsafe.Add(ref w, t);
                }

                output[(r * outputStride) + firstOutput + j] = sum;
            }
        }
    }
}
