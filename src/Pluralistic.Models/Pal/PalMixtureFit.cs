using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>
/// PAL-B's fit of users' mixture logits in managed code, from the user-independent part of the rewards encoded once
/// by libtorch. A PAL-B reward is <c>s (D_j . w) / sqrt(w' G_j w)</c> with <c>w = softmax(W)</c>: with the dot
/// products D and Gram matrices G of a user's rows fixed, the loss and its gradient in the K logits are a few K-long
/// sums per row, so the Adam steps run on arrays (no autograd graph, no libtorch op per step) and the fit costs its
/// arithmetic. It minimises what the autograd fit minimises (the weighted pair losses plus the Gaussian prior on the
/// centred logits) with the same Adam update, in double precision.
/// </summary>
internal sealed class PalMixtureFit
{
    private readonly int _k;
    private readonly double _scale;
    private readonly PalOptions _options;
    private readonly double[] _start;
    private readonly double[] _priorMean;
    private readonly double[] _precision;

    /// <summary>The fit of <paramref name="network"/>'s users (PAL-B), its population values read once.</summary>
    /// <param name="network">A trained PAL-B network.</param>
    /// <param name="options">The loss and the adaptation's steps, rate and prior strength.</param>
    /// <returns>The fit.</returns>
    public static PalMixtureFit Create(PalNetwork network, PalOptions options)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return new PalMixtureFit(
            network.K,
            network.Scale.item<float>(),
            options,
            PalUserFitter.Floats(network.PopulationLogits),
            PalUserFitter.Floats(network.PriorMean),
            PalUserFitter.Floats(network.PriorPrecision));
    }

    /// <summary>Prepares the fit of one model's users.</summary>
    /// <param name="k">K, the number of logits.</param>
    /// <param name="scale">The reward scale s.</param>
    /// <param name="options">The loss and the adaptation's steps, rate and prior strength.</param>
    /// <param name="start">The population's logits [K] (where every fit starts).</param>
    /// <param name="priorMean">The prior mean of the centred logits [K].</param>
    /// <param name="precision">The prior precision [K, K], row-major.</param>
    public PalMixtureFit(int k, double scale, PalOptions options, ReadOnlySpan<float> start, ReadOnlySpan<float> priorMean, ReadOnlySpan<float> precision)
    {
        _k = k;
        _scale = scale;
        _options = options;
        _start = ToDouble(start);
        _priorMean = ToDouble(priorMean);
        _precision = ToDouble(precision);
    }

    /// <summary>Fits one user's logits from the user's encoded rows.</summary>
    /// <param name="dots">The rows' dot products [2L, K]: the user's L chosen responses, then the L rejected ones.</param>
    /// <param name="gram">One Gram matrix [K, K] shared by every row, or one per row [2L, K, K].</param>
    /// <param name="weights">The pairs' weights [L] (0: padding).</param>
    /// <param name="logits">Receives the K fitted logits.</param>
    public void Fit(ReadOnlySpan<float> dots, ReadOnlySpan<float> gram, ReadOnlySpan<float> weights, Span<float> logits)
    {
        var k = _k;
        var length = weights.Length;
        var shared = gram.Length == k * k;
        var x = (double[])_start.Clone();
        var m = new double[k];
        var v = new double[k];
        var w = new double[k];
        var gradient = new double[k];
        var gramW = new double[k];
        var deviation = new double[k];
        var priorGradient = new double[k];
        var priorWeight = _options.AdaptationPriorStrength / 2;
        for (var step = 1; step <= _options.AdaptationSteps; step++)
        {
            Softmax(x, w);
            Array.Clear(gradient);

            // Shared Gram matrix: every row's norm is the same, and the rows' Gram terms add up to one multiple of G w.
            var sharedNorm = 0.0;
            var sharedClamped = false;
            if (shared)
            {
                MultiplyVector(gram, w, gramW);
                var squared = Dot(gramW, w);
                sharedClamped = squared < 1e-12;
                sharedNorm = Math.Sqrt(Math.Max(squared, 1e-12));
            }

            var gramCoefficient = 0.0;
            for (var i = 0; i < length; i++)
            {
                var weight = weights[i];
                if (weight == 0)
                {
                    continue;
                }

                var chosen = Reward(dots, gram, shared, sharedNorm, i, w);
                var rejected = Reward(dots, gram, shared, sharedNorm, length + i, w);
                var coefficient = LossSlope(chosen.Value - rejected.Value) * weight;

                // d r / d w = s (D / n - (D . w) G w / n^3); the rejected row enters with the opposite sign.
                gramCoefficient += Accumulate(dots, gram, shared, i, coefficient, chosen, w, gradient, gramW);
                gramCoefficient += Accumulate(dots, gram, shared, length + i, -coefficient, rejected, w, gradient, gramW);
            }

            if (shared && !sharedClamped)
            {
                for (var j = 0; j < k; j++)
                {
                    gradient[j] -= gramCoefficient * gramW[j];
                }
            }

            // Through the softmax: dL/dW = w (g - w . g).
            var mean = Dot(w, gradient);
            for (var j = 0; j < k; j++)
            {
                gradient[j] = w[j] * (gradient[j] - mean);
            }

            if (priorWeight > 0)
            {
                AddPriorGradient(x, priorWeight, gradient, deviation, priorGradient);
            }

            // Adam, as the autograd fit steps it.
            var stepSize = _options.AdaptationLearningRate * Math.Sqrt(1 - Math.Pow(PalUserFitter.Beta2, step)) / (1 - Math.Pow(PalUserFitter.Beta1, step));
            for (var j = 0; j < k; j++)
            {
                m[j] = (PalUserFitter.Beta1 * m[j]) + ((1 - PalUserFitter.Beta1) * gradient[j]);
                v[j] = (PalUserFitter.Beta2 * v[j]) + ((1 - PalUserFitter.Beta2) * gradient[j] * gradient[j]);
                x[j] -= stepSize * m[j] / (Math.Sqrt(v[j]) + PalUserFitter.Epsilon);
            }
        }

        for (var j = 0; j < k; j++)
        {
            logits[j] = (float)x[j];
        }
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }

    private static void Softmax(double[] logits, double[] weights)
    {
        var max = double.NegativeInfinity;
        foreach (var x in logits)
        {
            max = Math.Max(max, x);
        }

        var sum = 0.0;
        for (var j = 0; j < logits.Length; j++)
        {
            weights[j] = Math.Exp(logits[j] - max);
            sum += weights[j];
        }

        for (var j = 0; j < logits.Length; j++)
        {
            weights[j] /= sum;
        }
    }

    private static double Dot(ReadOnlySpan<float> left, double[] right)
    {
        var sum = 0.0;
        for (var j = 0; j < right.Length; j++)
        {
            sum += left[j] * right[j];
        }

        return sum;
    }

    private static double Dot(double[] left, double[] right)
    {
        var sum = 0.0;
        for (var j = 0; j < right.Length; j++)
        {
            sum += left[j] * right[j];
        }

        return sum;
    }

    // result = matrix [K, K] (row-major) times vector.
    private static void MultiplyVector(ReadOnlySpan<float> matrix, double[] vector, double[] result)
    {
        var k = vector.Length;
        for (var r = 0; r < k; r++)
        {
            result[r] = Dot(matrix.Slice(r * k, k), vector);
        }
    }

    // The derivative of the per-pair loss in the margin.
    private double LossSlope(double margin)
    {
        if (_options.Loss == PalLoss.Hinge)
        {
            return _options.HingeMargin - margin > 0 ? -1 : 0;
        }

        // d softplus(-m) / dm = -sigmoid(-m).
        return -1 / (1 + Math.Exp(margin));
    }

    // Row j's reward and its norm sqrt(w' G_j w); with a per-row Gram matrix, G_j w is left in gramW.
    private RowReward Reward(ReadOnlySpan<float> dots, ReadOnlySpan<float> gram, bool shared, double sharedNorm, int row, double[] w)
    {
        var k = _k;
        var dot = Dot(dots.Slice(row * k, k), w);
        var norm = sharedNorm;
        var clamped = false;
        if (!shared)
        {
            var squared = 0.0;
            var g = gram.Slice(row * k * k, k * k);
            for (var r = 0; r < k; r++)
            {
                squared += w[r] * Dot(g.Slice(r * k, k), w);
            }

            clamped = squared < 1e-12;
            norm = Math.Sqrt(Math.Max(squared, 1e-12));
        }

        return new RowReward(_scale * dot / norm, dot, norm, clamped);
    }

    // Adds coefficient * d r_row / d w to the gradient: the D part directly, the Gram part directly for a per-row
    // Gram matrix, or returned as the multiple of G w to subtract once for a shared one.
    private double Accumulate(
        ReadOnlySpan<float> dots, ReadOnlySpan<float> gram, bool shared, int row, double coefficient, RowReward reward, double[] w, double[] gradient, double[] gramW)
    {
        var k = _k;
        var d = dots.Slice(row * k, k);
        var direct = coefficient * _scale / reward.Norm;
        for (var j = 0; j < k; j++)
        {
            gradient[j] += direct * d[j];
        }

        var gramPart = coefficient * _scale * reward.Dot / (reward.Norm * reward.Norm * reward.Norm);
        if (shared)
        {
            return gramPart;
        }

        if (!reward.Clamped)
        {
            var g = gram.Slice(row * k * k, k * k);
            for (var r = 0; r < k; r++)
            {
                gradient[r] -= gramPart * Dot(g.Slice(r * k, k), w);
            }
        }

        return 0;
    }

    // The prior's term strength / 2 * dev' P dev with dev = x - mean(x) - mu: gradient c - mean(c), c = strength / 2 * (P + P') dev.
    private void AddPriorGradient(double[] x, double priorWeight, double[] gradient, double[] deviation, double[] c)
    {
        var k = _k;
        var centre = Mean(x);
        for (var j = 0; j < k; j++)
        {
            deviation[j] = x[j] - centre - _priorMean[j];
        }

        for (var r = 0; r < k; r++)
        {
            var sum = 0.0;
            for (var j = 0; j < k; j++)
            {
                sum += (_precision[(r * k) + j] + _precision[(j * k) + r]) * deviation[j];
            }

            c[r] = sum * priorWeight;
        }

        var mean = Mean(c);
        for (var j = 0; j < k; j++)
        {
            gradient[j] += c[j] - mean;
        }
    }

    private static double Mean(double[] values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += value;
        }

        return sum / values.Length;
    }

    private readonly record struct RowReward(double Value, double Dot, double Norm, bool Clamped);
}
