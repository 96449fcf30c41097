using System.Numerics;

namespace Pluralistic.Evaluation;

/// <summary>SIMD dot products and updates for the reference rows' plain-.NET fits.</summary>
internal static class VectorMath
{
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        }

        double total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    /// <summary><paramref name="target"/> += <paramref name="scale"/> * <paramref name="x"/>.</summary>
    public static void AddScaled(Span<float> target, ReadOnlySpan<float> x, float scale)
    {
        var factor = new Vector<float>(scale);
        var i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(target[i..]) + (factor * new Vector<float>(x[i..]))).CopyTo(target[i..]);
        }

        for (; i < x.Length; i++)
        {
            target[i] += scale * x[i];
        }
    }

    public static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(a[i..]) - new Vector<float>(b[i..])).CopyTo(result[i..]);
        }

        for (; i < a.Length; i++)
        {
            result[i] = a[i] - b[i];
        }
    }
}
