using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Torch.Managed;

/// <summary>The nonlinearities of <see cref="Activation"/> applied in place to float spans, as libtorch computes them.</summary>
internal static class ManagedActivation
{
    /// <summary>The negative slope of <see cref="Activation.LeakyRelu"/> (the only one that compiles to the managed path).</summary>
    public const float LeakySlope = 0.2f;

    // Abramowitz & Stegun 7.1.28, erfc(z) = (1 + a1 z + ... + a6 z^6)^-16 for z >= 0 (absolute error at most 3e-7),
    // with z = |x| / sqrt 2 folded in: coefficient k is a_k 2^(-k/2).
    private const float Gelu1 = 4.986734697e-2f;
    private const float Gelu2 = 2.114100615e-2f;
    private const float Gelu3 = 3.277626324e-3f;
    private const float Gelu4 = 3.800357500e-5f;
    private const float Gelu5 = 4.889063564e-5f;
    private const float Gelu6 = 5.382975000e-6f;

    // |x| is capped here before the polynomial: beyond it erfc's term is 0 in float32 (the polynomial's 16th power
    // overflows to infinity, and |x| / infinity is 0), so GELU(+inf) stays +inf and GELU(-inf) is 0 instead of
    // inf / inf = NaN.
    private const float GeluCap = 1e4f;

    /// <summary>Multiply-add equivalents of one evaluation (for the managed path's cost estimate).</summary>
    /// <param name="activation">Which.</param>
    /// <returns>A rough cost per value.</returns>
    public static int Cost(Activation activation) => activation is Activation.Relu or Activation.LeakyRelu ? 1 : 16;

    /// <summary>Applies <paramref name="activation"/> to every value of <paramref name="values"/>.</summary>
    /// <param name="activation">Which.</param>
    /// <param name="values">The values, overwritten.</param>
    /// <param name="slope">The negative slope of <see cref="Activation.LeakyRelu"/>.</param>
    public static void Apply(Activation activation, Span<float> values, float slope = LeakySlope)
    {
        switch (activation)
        {
            case Activation.Relu:
                TensorPrimitives.Max(values, 0f, values);
                break;
            case Activation.LeakyRelu:
                foreach (ref var v in values)
                {
                    v = v < 0 ? v * slope : v;
                }

                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(values, values);
                break;
            case Activation.Silu:
                foreach (ref var v in values)
                {
                    v /= 1f + MathF.Exp(-v);
                }

                break;
            case Activation.Gelu:
                Gelu(values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>
    /// The exact GELU on 16 values: x Phi(x) = max(x, 0) - |x| erfc(|x| / sqrt 2) / 2 (libtorch's default, not the
    /// tanh approximation), with erfc from Abramowitz and Stegun 7.1.28: a polynomial, four squarings and one division,
    /// no exponential (within 1e-6 of the exact value here). The fused kernels inline it per vector.
    /// </summary>
    /// <param name="x">The values.</param>
    /// <returns>GELU of each.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x)
    {
        var a = Vector512.Min(Vector512.Abs(x), Vector512.Create(GeluCap));
        var p = Vector512.FusedMultiplyAdd(a, Vector512.Create(Gelu6), Vector512.Create(Gelu5));
        p = Vector512.FusedMultiplyAdd(p, a, Vector512.Create(Gelu4));
        p = Vector512.FusedMultiplyAdd(p, a, Vector512.Create(Gelu3));
        p = Vector512.FusedMultiplyAdd(p, a, Vector512.Create(Gelu2));
        p = Vector512.FusedMultiplyAdd(p, a, Vector512.Create(Gelu1));
        p = Vector512.FusedMultiplyAdd(p, a, Vector512<float>.One);
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        return Vector512.FusedMultiplyAdd(a / p, Vector512.Create(-0.5f), Vector512.Max(x, Vector512<float>.Zero));
    }

    /// <summary>
    /// The exact GELU in place, by the formula of <see cref="Gelu(Vector512{float})"/>: sixteen values at a time in
    /// registers where the machine has 512-bit vectors (the last partial vector through a zero-padded copy), else with
    /// span operations a chunk at a time (some eleven passes over memory).
    /// </summary>
    private static void Gelu(Span<float> values)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var width = Vector512<float>.Count;
            ref var first = ref MemoryMarshal.GetReference(values);
            var i = 0;
            for (; i <= values.Length - width; i += width)
            {
                Gelu(Vector512.LoadUnsafe(ref first, (nuint)i)).StoreUnsafe(ref first, (nuint)i);
            }

            if (i < values.Length)
            {
                Span<float> tail = stackalloc float[width];
                tail.Clear();
                var rest = values[i..];
                rest.CopyTo(tail);
                Gelu(Vector512.Create<float>(tail)).CopyTo(tail);
                tail[..rest.Length].CopyTo(rest);
            }

            return;
        }

        const int Chunk = 256;
        Span<float> a = stackalloc float[Chunk];
        Span<float> p = stackalloc float[Chunk];
        for (var start = 0; start < values.Length; start += Chunk)
        {
            var x = values.Slice(start, Math.Min(Chunk, values.Length - start));
            var n = x.Length;
            var abs = a[..n];
            var poly = p[..n];
            TensorPrimitives.Abs(x, abs);
            TensorPrimitives.Min(abs, GeluCap, abs);
            TensorPrimitives.Multiply(abs, Gelu6, poly);
            TensorPrimitives.Add(poly, Gelu5, poly);
            TensorPrimitives.MultiplyAdd(poly, abs, Gelu4, poly);
            TensorPrimitives.MultiplyAdd(poly, abs, Gelu3, poly);
            TensorPrimitives.MultiplyAdd(poly, abs, Gelu2, poly);
            TensorPrimitives.MultiplyAdd(poly, abs, Gelu1, poly);
            TensorPrimitives.MultiplyAdd(poly, abs, 1f, poly);
            for (var i = 0; i < 4; i++)
            {
                TensorPrimitives.Multiply(poly, poly, poly);
            }

            TensorPrimitives.Divide(abs, poly, poly);
            TensorPrimitives.Max(x, 0f, x);
            TensorPrimitives.MultiplyAdd(poly, -0.5f, x, x);
        }
    }
}
