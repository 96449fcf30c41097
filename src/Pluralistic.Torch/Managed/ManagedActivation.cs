using System.Numerics.Tensors;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Torch.Managed;

/// <summary>The nonlinearities of <see cref="Activation"/> applied in place to float spans, as libtorch computes them.</summary>
internal static class ManagedActivation
{
    private const float LeakySlope = 0.2f;

    // Highest power first: -1.26551223 + t (1.00002368 + t (0.37409196 + ...)).
    private static readonly double[] ErfcCoefficients =
        [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];

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
                foreach (ref var v in values)
                {
                    v = Gelu(v);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>The exact GELU, x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (libtorch's default, not the tanh approximation).</summary>
    private static float Gelu(float x) => 0.5f * x * (1f + Erf(x * 0.70710678f));

    /// <summary>erf to within about 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), in double for the exponent's range.</summary>
    private static float Erf(float value)
    {
        double x = value;
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        var poly = 0.0;
        foreach (var c in ErfcCoefficients)
        {
            poly = (poly * t) + c;
        }

        var erfc = t * Math.Exp((-z * z) + poly);
        return (float)(x >= 0 ? 1 - erfc : erfc - 1);
    }
}
