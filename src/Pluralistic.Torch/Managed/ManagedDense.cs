using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// A dense layer y = W x + b over plain float arrays: the weights row-major [outputs, inputs] as libtorch's
/// <c>Linear</c> keeps them (and transposed, [inputs, outputs], for the blocked kernel), read-only after construction
/// and safe to share between threads. Where the machine has 512-bit vectors, blocks of 4 rows x 32 outputs are
/// accumulated in registers (each input value broadcast against two weight vectors: eight multiply-adds per six
/// loads, no horizontal sums), split over the cores when a call has enough work; the remaining rows and outputs use
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
/// </summary>
internal sealed class ManagedDense
{
    private const int BlockRows = 4;

    /// <summary>Multiply-adds of one call above which its blocks are split over the cores.</summary>
    private const long ParallelWork = 1L << 20;

    private static readonly int BlockColumns = 2 * Vector512<float>.Count;

    private readonly float[] _weights;
    private readonly float[]? _transposed;
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
        if (Vector512.IsHardwareAccelerated && outputs >= BlockColumns)
        {
            _transposed = new float[inputs * outputs];
            for (var j = 0; j < outputs; j++)
            {
                for (var k = 0; k < inputs; k++)
                {
                    _transposed[(k * outputs) + j] = weights[(j * inputs) + k];
                }
            }
        }
    }

    /// <summary>Output features.</summary>
    public int Outputs { get; }

    /// <summary>Input features.</summary>
    public int Inputs { get; }

    /// <summary>Multiply-adds per input row.</summary>
    public long Work => (long)Outputs * Inputs;

    /// <summary>Row <paramref name="output"/> of the weights.</summary>
    public ReadOnlySpan<float> Row(int output) => _weights.AsSpan(output * Inputs, Inputs);

    /// <summary>Applies the layer to <paramref name="rows"/> rows: [rows, inputs] to [rows, outputs].</summary>
    /// <param name="input">[rows, inputs], row-major.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="output">Receives [rows, outputs], row-major.</param>
    public unsafe void Apply(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        var o = Outputs;
        var blockedRows = _transposed is null ? 0 : rows / BlockRows * BlockRows;
        var blockedOutputs = blockedRows > 0 ? o / BlockColumns * BlockColumns : 0;
        var tiles = blockedRows / BlockRows * (blockedOutputs / BlockColumns);
        if (tiles > 0)
        {
            fixed (float* x = input)
            fixed (float* y = output)
            {
                var workers = Math.Min(Environment.ProcessorCount, tiles);
                if (workers > 1 && (long)rows * Work >= ParallelWork)
                {
                    var (xs, ys) = ((nint)x, (nint)y);
                    Parallel.For(0, workers, w => Tiles((float*)xs, (float*)ys, (int)((long)tiles * w / workers), (int)((long)tiles * (w + 1) / workers)));
                }
                else
                {
                    Tiles(x, y, 0, tiles);
                }
            }
        }

        for (var r = 0; r < rows; r++)
        {
            var x = input.Slice(r * Inputs, Inputs);
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

    // Tiles [first, last) of 4 rows x 32 outputs, row blocks outermost within a column block.
    private unsafe void Tiles(float* input, float* output, int first, int last)
    {
        var columnBlocks = Outputs / BlockColumns;
        for (var t = first; t < last; t++)
        {
            Kernel(input + ((t / columnBlocks) * BlockRows * Inputs), output + ((t / columnBlocks) * BlockRows * Outputs), (t % columnBlocks) * BlockColumns);
        }
    }

    /// <summary>Four rows times 32 outputs in eight accumulators: per input, two weight loads, four broadcasts, eight multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Kernel(float* x, float* y, int column)
    {
        var n = Inputs;
        var o = Outputs;
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector512<float> a20 = default, a21 = default, a30 = default, a31 = default;
        fixed (float* weights = _transposed)
        {
            var w = weights + column;
            var width = Vector512<float>.Count;
            for (var k = 0; k < n; k++, w += o)
            {
                var w0 = Vector512.Load(w);
                var w1 = Vector512.Load(w + width);
                var b = Vector512.Create(x[k]);
                a00 = Vector512.FusedMultiplyAdd(b, w0, a00);
                a01 = Vector512.FusedMultiplyAdd(b, w1, a01);
                b = Vector512.Create(x[n + k]);
                a10 = Vector512.FusedMultiplyAdd(b, w0, a10);
                a11 = Vector512.FusedMultiplyAdd(b, w1, a11);
                b = Vector512.Create(x[(2 * n) + k]);
                a20 = Vector512.FusedMultiplyAdd(b, w0, a20);
                a21 = Vector512.FusedMultiplyAdd(b, w1, a21);
                b = Vector512.Create(x[(3 * n) + k]);
                a30 = Vector512.FusedMultiplyAdd(b, w0, a30);
                a31 = Vector512.FusedMultiplyAdd(b, w1, a31);
            }

            var target = y + column;
            a00.Store(target);
            a01.Store(target + width);
            a10.Store(target + o);
            a11.Store(target + o + width);
            a20.Store(target + (2 * o));
            a21.Store(target + (2 * o) + width);
            a30.Store(target + (3 * o));
            a31.Store(target + (3 * o) + width);
        }
    }
}
