using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Torch.Managed;

/// <summary>The nonlinearities of <see cref="Activation"/> applied in place to float spans, as libtorch computes them.</summary>
internal static class ManagedActivation
{
    private const float LeakySlope = 0.2f;

    // Highest power first: -1.26551223 + t (1.00002368 + t (0.37409196 + ...)).
    private static readonly float[] ErfcCoefficients =
        [0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f];

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
    /// The exact GELU, x Phi(x) with Phi(x) = 1 - erfc(x / sqrt 2) / 2 (libtorch's default, not the tanh approximation),
    /// in place. erfc is Numerical Recipes' Chebyshev fit (within about 1.2e-7), evaluated a chunk at a time with
    /// vectorised span operations: a per-value scalar erf made the activation most of a small request's time.
    /// </summary>
    private static void Gelu(Span<float> values)
    {
        if (Avx512F.IsSupported)
        {
            GeluVectors(values);
            return;
        }

        const int Chunk = 256;
        Span<float> z = stackalloc float[Chunk];
        Span<float> t = stackalloc float[Chunk];
        Span<float> poly = stackalloc float[Chunk];
        for (var start = 0; start < values.Length; start += Chunk)
        {
            var x = values.Slice(start, Math.Min(Chunk, values.Length - start));
            var n = x.Length;
            var zs = z[..n];
            var ts = t[..n];
            var ps = poly[..n];
            TensorPrimitives.Abs(x, zs);
            TensorPrimitives.Multiply(zs, 0.70710678f, zs);
            TensorPrimitives.Multiply(zs, 0.5f, ts);
            TensorPrimitives.Add(ts, 1f, ts);
            TensorPrimitives.Reciprocal(ts, ts);
            TensorPrimitives.Multiply(ts, ErfcCoefficients[0], ps);
            TensorPrimitives.Add(ps, ErfcCoefficients[1], ps);
            for (var k = 2; k < ErfcCoefficients.Length; k++)
            {
                TensorPrimitives.MultiplyAdd(ps, ts, ErfcCoefficients[k], ps);
            }

            // erfc(|x| / sqrt 2) = t exp(poly - z^2); Phi(x) = 0.5 + copysign(0.5 - erfc / 2, x).
            TensorPrimitives.Multiply(zs, zs, zs);
            TensorPrimitives.Subtract(ps, zs, ps);
            TensorPrimitives.Exp(ps, ps);
            TensorPrimitives.Multiply(ps, ts, ps);
            TensorPrimitives.Multiply(ps, -0.5f, ps);
            TensorPrimitives.Add(ps, 0.5f, ps);
            TensorPrimitives.CopySign(ps, x, ps);
            TensorPrimitives.Add(ps, 0.5f, ps);
            TensorPrimitives.Multiply(ps, x, x);
        }
    }

    /// <summary>
    /// <see cref="Gelu"/> sixteen values at a time with every step in registers (the span form above makes some twenty
    /// passes over memory); the last partial vector goes through a zero-padded copy.
    /// </summary>
    private static void GeluVectors(Span<float> values)
    {
        var width = Vector512<float>.Count;
        ref var first = ref MemoryMarshal.GetReference(values);
        var i = 0;
        for (; i <= values.Length - width; i += width)
        {
            GeluVector(Vector512.LoadUnsafe(ref first, (nuint)i)).StoreUnsafe(ref first, (nuint)i);
        }

        if (i < values.Length)
        {
            Span<float> tail = stackalloc float[width];
            tail.Clear();
            var rest = values[i..];
            rest.CopyTo(tail);
            GeluVector(Vector512.Create<float>(tail)).CopyTo(tail);
            tail[..rest.Length].CopyTo(rest);
        }
    }

    private static Vector512<float> GeluVector(Vector512<float> x)
    {
        var one = Vector512<float>.One;
        var z = Vector512.Abs(x) * 0.70710678f;

        // t = 1 / (1 + z / 2): the 14-bit reciprocal estimate and one Newton step (about 2^-28 relative).
        var denominator = Vector512.FusedMultiplyAdd(z, Vector512.Create(0.5f), one);
        var t = Avx512F.Reciprocal14(denominator);
        t = Vector512.FusedMultiplyAdd(t, Vector512.FusedMultiplyAdd(-denominator, t, one), t);
        var poly = Vector512.FusedMultiplyAdd(t, Vector512.Create(ErfcCoefficients[0]), Vector512.Create(ErfcCoefficients[1]));
        for (var k = 2; k < ErfcCoefficients.Length; k++)
        {
            poly = Vector512.FusedMultiplyAdd(poly, t, Vector512.Create(ErfcCoefficients[k]));
        }

        // erfc(|x| / sqrt 2) = t exp(poly - z^2); Phi(x) = erfc / 2 below 0 (kept to the fit's relative accuracy in
        // the left tail, where 0.5 - (0.5 - erfc / 2) would cancel), 1 - erfc / 2 from 0.
        var halfErfc = t * Exp(Vector512.FusedMultiplyAdd(-z, z, poly)) * 0.5f;
        return x * Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), halfErfc, one - halfErfc);
    }

    /// <summary>
    /// exp(a) for a at most a few units (the GELU's exponent is at most about 0): a = n ln 2 + r with |r| at most
    /// ln 2 / 2, exp(r) by its degree-7 Taylor polynomial (truncation below 1e-8 relative), times 2^n by
    /// <c>vscalefps</c>, which goes through the denormals to 0 as a float's exp does.
    /// </summary>
    private static Vector512<float> Exp(Vector512<float> a)
    {
        a = Vector512.Max(a, Vector512.Create(-104f));
        var n = Avx512F.RoundScale(a * 1.44269504f, 0);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), a);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1f / 5040), r, Vector512.Create(1f / 720));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        return Avx512F.Scale(p, n);
    }
}
