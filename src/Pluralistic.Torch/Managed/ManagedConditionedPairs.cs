using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// Every (response, condition) pair of a conditioned head with one hidden layer in one fused pass:
/// <c>r[i, u] = w_u . act(p_i + s_u) + b_u</c>, with <c>p_i</c> a response's projection, <c>s_u</c> a condition's
/// projection and <c>(w_u, b_u)</c> the output weights it generates. Nothing of size M x N x h is ever stored: the
/// projections are packed in blocks of 64 responses, feature-major, so one block (64 x h floats, 16 kB at h = 64)
/// stays in the first-level cache while every condition of a worker's share passes over it; for each condition and
/// feature the shift and the weight are broadcast and four 16-lane vectors of responses get the add, the activation
/// (inlined in registers: <see cref="ManagedActivation.Gelu(Vector512{float})"/> costs a polynomial, four squarings
/// and a division) and a multiply-add into their accumulators — no horizontal sums, no tensor, no allocation per pair.
/// (block, condition) tasks are split over the cores when a call has enough work. Needs 512-bit vectors.
/// </summary>
internal static class ManagedConditionedPairs
{
    /// <summary>Responses per block: four 16-float vectors.</summary>
    private const int Block = 64;

    /// <summary>Activation values of one call above which its tasks are split over the cores.</summary>
    private const long ParallelWork = 1L << 18;

    /// <summary>A nonlinearity on 16 floats, as a type argument: the kernel is compiled once per activation, with no dispatch per vector.</summary>
    private interface IVectorActivation
    {
        static abstract Vector512<float> Apply(Vector512<float> x);
    }

    /// <summary>Whether the fused pass computes <paramref name="activation"/> on this machine.</summary>
    /// <param name="activation">The head's only hidden nonlinearity, or <see langword="null"/> when it has more layers.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    public static bool Supports(Activation? activation) =>
        Vector512.IsHardwareAccelerated && activation is Activation.Relu or Activation.LeakyRelu or Activation.Gelu;

    /// <summary>Scores every projected response for every condition: [M, h] and [N, h], [N, h + 1] -> [M, N], row-major.</summary>
    /// <param name="activation">The nonlinearity (one <see cref="Supports"/> accepts).</param>
    /// <param name="projected">[M, h]: the responses' projections, bias included.</param>
    /// <param name="m">M.</param>
    /// <param name="shifts">[N, h]: the conditions' projections.</param>
    /// <param name="outputs">[N, h + 1]: each condition's output weights, then its bias.</param>
    /// <param name="n">N.</param>
    /// <param name="width">h.</param>
    /// <param name="destination">Receives [M, N].</param>
    public static unsafe void Score(Activation activation, ReadOnlySpan<float> projected, int m, ReadOnlySpan<float> shifts, ReadOnlySpan<float> outputs, int n, int width, Span<float> destination)
    {
        if (!Supports(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "the fused pass does not compute this activation here");
        }

        var blocks = (m + Block - 1) / Block;
        var packed = ManagedScoring.Rent((long)blocks * Block * width);
        try
        {
            Pack(projected, m, width, packed);
            fixed (float* p = packed)
            fixed (float* s = shifts)
            fixed (float* o = outputs)
            fixed (float* d = destination)
            {
                var job = new Job(p, s, o, d, m, n, width);
                var tasks = (long)blocks * n;
                var workers = (int)Math.Min(Environment.ProcessorCount, tasks);
                if (workers > 1 && (long)m * n * width >= ParallelWork)
                {
                    Parallel.For(0, workers, w => Run(activation, job, tasks * w / workers, tasks * (w + 1) / workers));
                }
                else
                {
                    Run(activation, job, 0, tasks);
                }
            }
        }
        finally
        {
            ManagedScoring.Return(packed);
        }
    }

    /// <summary>[M, h] rows to blocks of 64 responses, feature-major ([block, h, 64]), the last block padded with zeros.</summary>
    private static void Pack(ReadOnlySpan<float> projected, int m, int width, Span<float> packed)
    {
        var blocks = (m + Block - 1) / Block;
        packed[(m / Block * Block * width)..(blocks * Block * width)].Clear();
        for (var r = 0; r < m; r++)
        {
            var block = packed.Slice(r / Block * Block * width);
            var row = projected.Slice(r * width, width);
            for (var k = 0; k < width; k++)
            {
                block[(k * Block) + (r % Block)] = row[k];
            }
        }
    }

    private static void Run(Activation activation, Job job, long first, long last)
    {
        switch (activation)
        {
            case Activation.Relu:
                Run<Relu>(job, first, last);
                break;
            case Activation.LeakyRelu:
                Run<LeakyRelu>(job, first, last);
                break;
            default:
                Run<Gelu>(job, first, last);
                break;
        }
    }

    /// <summary>Tasks [first, last) of (block, condition), blocks outermost so a block is reused by the conditions that follow it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Run<TActivation>(Job job, long first, long last)
        where TActivation : struct, IVectorActivation
    {
        var width = job.Width;
        var n = job.Conditions;
        var lanes = Vector512<float>.Count;
        var rewards = stackalloc float[Block];
        for (var t = first; t < last; t++)
        {
            var b = (int)(t / n);
            var u = (int)(t % n);
            var block = job.Packed + ((long)b * Block * width);
            var shift = job.Shifts + ((long)u * width);
            var weights = job.Outputs + ((long)u * (width + 1));
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var k = 0; k < width; k++, block += Block)
            {
                var s = Vector512.Create(shift[k]);
                var w = Vector512.Create(weights[k]);
                a0 = Vector512.FusedMultiplyAdd(TActivation.Apply(Vector512.Load(block) + s), w, a0);
                a1 = Vector512.FusedMultiplyAdd(TActivation.Apply(Vector512.Load(block + lanes) + s), w, a1);
                a2 = Vector512.FusedMultiplyAdd(TActivation.Apply(Vector512.Load(block + (2 * lanes)) + s), w, a2);
                a3 = Vector512.FusedMultiplyAdd(TActivation.Apply(Vector512.Load(block + (3 * lanes)) + s), w, a3);
            }

            var bias = Vector512.Create(weights[width]);
            (a0 + bias).Store(rewards);
            (a1 + bias).Store(rewards + lanes);
            (a2 + bias).Store(rewards + (2 * lanes));
            (a3 + bias).Store(rewards + (3 * lanes));
            var start = b * Block;
            var rows = Math.Min(Block, job.Responses - start);
            var target = job.Destination + ((long)start * n) + u;
            for (var i = 0; i < rows; i++, target += n)
            {
                *target = rewards[i];
            }
        }
    }

    /// <summary>The pinned buffers and shape of one call, handed to its workers.</summary>
    private readonly unsafe struct Job(float* packed, float* shifts, float* outputs, float* destination, int responses, int conditions, int width)
    {
        public float* Packed { get; } = packed;

        public float* Shifts { get; } = shifts;

        public float* Outputs { get; } = outputs;

        public float* Destination { get; } = destination;

        public int Responses { get; } = responses;

        public int Conditions { get; } = conditions;

        public int Width { get; } = width;
    }

    private readonly struct Relu : IVectorActivation
    {
        public static Vector512<float> Apply(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
    }

    /// <summary>max(x, slope x) is x above zero and slope x below it for a slope in (0, 1).</summary>
    private readonly struct LeakyRelu : IVectorActivation
    {
        public static Vector512<float> Apply(Vector512<float> x) => Vector512.Max(x, x * Vector512.Create(ManagedActivation.LeakySlope));
    }

    private readonly struct Gelu : IVectorActivation
    {
        public static Vector512<float> Apply(Vector512<float> x) => ManagedActivation.Gelu(x);
    }
}
