using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// A dense layer y = W x + b over plain float arrays: the weights row-major [outputs, inputs] as libtorch's
/// <c>Linear</c> keeps them (and transposed, [inputs, outputs] padded to whole vectors, for the blocked kernels),
/// read-only after construction and safe to share between threads. Where the machine has 512-bit vectors, blocks of
/// 4 rows x 32 outputs (or x 16 for a narrow layer's last block) are accumulated in registers starting from the bias
/// (each input value broadcast against the block's weight vectors: no horizontal sums, no separate bias pass), split
/// over the cores when nothing above has split the call (<see cref="ManagedParallel"/>); the remaining rows, and
/// layers narrower than 8 outputs, use <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
/// </summary>
internal sealed class ManagedDense
{
    /// <summary>Rows of one register block: a caller that splits rows keeps its ranges multiples of it.</summary>
    public const int BlockRows = 4;

    private static readonly int Width = Vector512<float>.Count;

    private readonly float[] _weights;
    private readonly float[]? _bias;

    // [inputs, _stride] with zero columns past Outputs, and the bias padded to _stride (zeros without one).
    private readonly float[]? _transposed;
    private readonly float[]? _start;
    private readonly int _stride;

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

        // A 16-wide block of a narrower layer wastes at most half its multiply-adds; below that the dot products win.
        if (Vector512.IsHardwareAccelerated && 2 * outputs >= Width)
        {
            _stride = (outputs + Width - 1) / Width * Width;
            _transposed = new float[inputs * _stride];
            for (var j = 0; j < outputs; j++)
            {
                for (var k = 0; k < inputs; k++)
                {
                    _transposed[(k * _stride) + j] = weights[(j * inputs) + k];
                }
            }

            _start = new float[_stride];
            bias?.CopyTo(_start, 0);
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

    /// <summary>
    /// The same layer applied to inputs divided by <paramref name="divisors"/> beforehand: W' = W / divisors (per
    /// input column), the same bias. Lets a caller fold a standardisation's division into the weights once.
    /// </summary>
    /// <param name="divisors">[inputs], nonzero.</param>
    /// <returns>The new layer.</returns>
    public ManagedDense DivideInputs(ReadOnlySpan<float> divisors)
    {
        if (divisors.Length != Inputs)
        {
            throw new ArgumentException($"a layer of {Inputs} inputs needs {Inputs} divisors, not {divisors.Length}", nameof(divisors));
        }

        var weights = new float[_weights.Length];
        for (var j = 0; j < Outputs; j++)
        {
            TensorPrimitives.Divide(Row(j), divisors, weights.AsSpan(j * Inputs, Inputs));
        }

        return new ManagedDense(weights, _bias, Outputs, Inputs);
    }

    /// <summary>Applies the layer to <paramref name="rows"/> rows: [rows, inputs] to [rows, outputs].</summary>
    /// <param name="input">[rows, inputs], row-major.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="output">Receives [rows, outputs], row-major.</param>
    public unsafe void Apply(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        var o = Outputs;
        var blockedRows = _transposed is null ? 0 : rows / BlockRows * BlockRows;
        var tiles = blockedRows / BlockRows * ColumnBlocks;
        if (tiles > 0)
        {
            fixed (float* x = input)
            fixed (float* y = output)
            {
                var (xs, ys) = ((nint)x, (nint)y);
                ManagedParallel.For(tiles, 1, (long)blockedRows * Work, (first, count) => Tiles((float*)xs, (float*)ys, first, first + count));
            }
        }

        for (var r = blockedRows; r < rows; r++)
        {
            var x = input.Slice(r * Inputs, Inputs);
            var y = output.Slice(r * o, o);
            for (var j = 0; j < o; j++)
            {
                y[j] = TensorPrimitives.Dot(x, Row(j));
            }

            if (_bias is not null)
            {
                TensorPrimitives.Add(y, _bias, y);
            }
        }
    }

    // Blocks of 32 columns over the padded width; the last is 16 wide when the padded width is an odd number of vectors.
    private int ColumnBlocks => (_stride + (2 * Width) - 1) / (2 * Width);

    // Tiles [first, last) of 4 rows x one column block, column blocks innermost. A block that reaches past the
    // outputs is computed into scratch and its real columns copied.
    private unsafe void Tiles(float* input, float* output, int first, int last)
    {
        var columnBlocks = ColumnBlocks;
        var o = Outputs;
        var partial = stackalloc float[BlockRows * 2 * Width];
        for (var t = first; t < last; t++)
        {
            var block = t / columnBlocks;
            var x = input + (block * BlockRows * Inputs);
            var y = output + (block * BlockRows * o);
            var column = t % columnBlocks * 2 * Width;
            var wide = column + (2 * Width) <= _stride;
            var width = wide ? 2 * Width : Width;
            var columns = Math.Min(o - column, width);
            var full = columns == width;
            var target = full ? y + column : partial;
            var stride = full ? o : 2 * Width;
            if (wide)
            {
                Kernel32(x, target, stride, column);
            }
            else
            {
                Kernel16(x, target, stride, column);
            }

            if (!full)
            {
                for (var r = 0; r < BlockRows; r++)
                {
                    new ReadOnlySpan<float>(partial + (r * 2 * Width), columns).CopyTo(new Span<float>(y + (r * o) + column, columns));
                }
            }
        }
    }

    /// <summary>Four rows times 32 outputs in eight accumulators: per input, two weight loads, four broadcasts, eight multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Kernel32(float* x, float* y, int stride, int column)
    {
        var n = Inputs;
        var width = Vector512<float>.Count;
        fixed (float* weights = _transposed)
        fixed (float* start = _start)
        {
            var a00 = Vector512.Load(start + column);
            var a01 = Vector512.Load(start + column + width);
            Vector512<float> a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
            var w = weights + column;
            for (var k = 0; k < n; k++, w += _stride)
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

            a00.Store(y);
            a01.Store(y + width);
            a10.Store(y + stride);
            a11.Store(y + stride + width);
            a20.Store(y + (2 * stride));
            a21.Store(y + (2 * stride) + width);
            a30.Store(y + (3 * stride));
            a31.Store(y + (3 * stride) + width);
        }
    }

    /// <summary>Four rows times 16 outputs in four accumulators: a narrow layer, or a wide one's last block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Kernel16(float* x, float* y, int stride, int column)
    {
        var n = Inputs;
        fixed (float* weights = _transposed)
        fixed (float* start = _start)
        {
            var a0 = Vector512.Load(start + column);
            Vector512<float> a1 = a0, a2 = a0, a3 = a0;
            var w = weights + column;
            for (var k = 0; k < n; k++, w += _stride)
            {
                var w0 = Vector512.Load(w);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[k]), w0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(x[n + k]), w0, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(x[(2 * n) + k]), w0, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(x[(3 * n) + k]), w0, a3);
            }

            a0.Store(y);
            a1.Store(y + stride);
            a2.Store(y + (2 * stride));
            a3.Store(y + (3 * stride));
        }
    }
}
