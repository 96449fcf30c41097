namespace Pluralistic.Evaluation;

/// <summary>The pairs' difference vectors (chosen - rejected), one row per record: linear Bradley-Terry's features.</summary>
internal sealed class DifferenceRows
{
    private readonly float[] _rows;

    public DifferenceRows(PreferenceDataset data)
    {
        Count = data.Count;
        Dimension = data.ResponseDimension;
        _rows = new float[Count * Dimension];
        for (var i = 0; i < Count; i++)
        {
            VectorMath.Subtract(data.ChosenVector(i), data.RejectedVector(i), _rows.AsSpan(i * Dimension, Dimension));
        }
    }

    public int Count { get; }

    public int Dimension { get; }

    public ReadOnlySpan<float> Row(int index) => _rows.AsSpan(index * Dimension, Dimension);
}

/// <summary>
/// L2-regularised logistic regression on difference rows with every label "chosen wins" (linear Bradley-Terry),
/// the prior centred on a given weight vector: minimises sum log(1 + exp(-w . x)) + lambda / 2 |w - prior|^2 by Newton's
/// method with conjugate-gradient steps (Hessian-vector products only, so the cost per step is a few passes over the rows
/// however large the dimension) and a backtracking line search.
/// </summary>
internal static class LogisticFit
{
    private const int MaxNewtonSteps = 40;
    private const int MaxCgSteps = 60;

    public static float[] Fit(DifferenceRows x, IReadOnlyList<int> rows, float[] prior, double lambda, float[]? start = null)
    {
        var d = x.Dimension;
        var w = (float[])(start ?? prior).Clone();
        var margins = new double[rows.Count];
        var f = Objective(x, rows, w, prior, lambda, margins);
        var gradient = new float[d];
        var curvature = new double[rows.Count];
        double? firstNorm = null;
        for (var step = 0; step < MaxNewtonSteps; step++)
        {
            Gradient(x, rows, w, prior, lambda, margins, gradient, curvature);
            var norm = Math.Sqrt(VectorMath.Dot(gradient, gradient));
            firstNorm ??= Math.Max(norm, 1e-12);
            if (norm <= 1e-5 * firstNorm.Value || norm < 1e-9)
            {
                break;
            }

            var direction = ConjugateGradient(x, rows, curvature, lambda, gradient, Math.Min(0.5, Math.Sqrt(norm / firstNorm.Value)) * norm);
            var slope = VectorMath.Dot(gradient, direction);
            if (slope >= 0)
            {
                break;
            }

            // Backtracking (Armijo): Newton's full step is right near the optimum; far from it, halve until f decreases enough.
            var candidate = new float[d];
            var candidateMargins = new double[rows.Count];
            var t = 1.0;
            double next;
            while (true)
            {
                w.CopyTo(candidate, 0);
                VectorMath.AddScaled(candidate, direction, (float)t);
                next = Objective(x, rows, candidate, prior, lambda, candidateMargins);
                if (next <= f + (1e-4 * t * slope) || t < 1e-6)
                {
                    break;
                }

                t /= 2;
            }

            if (next > f)
            {
                break;
            }

            var decrease = f - next;
            (w, margins, f) = (candidate, candidateMargins, next);
            if (decrease <= 1e-10 * (1 + Math.Abs(f)))
            {
                break;
            }
        }

        return w;
    }

    /// <summary>The mean of -ln p(chosen) over <paramref name="rows"/> under weights <paramref name="w"/>.</summary>
    public static double MeanLogLoss(DifferenceRows x, IReadOnlyList<int> rows, float[] w)
    {
        var total = 0.0;
        foreach (var i in rows)
        {
            total += Softplus(-VectorMath.Dot(w, x.Row(i)));
        }

        return rows.Count == 0 ? 0 : total / rows.Count;
    }

    /// <summary>
    /// The scale b of a one-dimensional Bradley-Terry model p = sigmoid(b * s) on scores s of the chosen-minus-rejected
    /// kind (a tiny ridge keeps b finite when every score is on the right side).
    /// </summary>
    public static double FitScale(IReadOnlyList<double> scores)
    {
        const double Ridge = 1e-3;
        var b = 1.0;
        for (var step = 0; step < 50; step++)
        {
            double g = Ridge * b, h = Ridge;
            foreach (var s in scores)
            {
                var p = PairPredictions.Sigmoid(b * s);
                g += (p - 1) * s;
                h += p * (1 - p) * s * s;
            }

            var change = g / h;
            b -= change;
            if (Math.Abs(change) < 1e-8 * (1 + Math.Abs(b)))
            {
                break;
            }
        }

        return b;
    }

    public static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));

    private static double Objective(DifferenceRows x, IReadOnlyList<int> rows, float[] w, float[] prior, double lambda, double[] margins)
    {
        var total = 0.0;
        for (var j = 0; j < rows.Count; j++)
        {
            margins[j] = VectorMath.Dot(w, x.Row(rows[j]));
            total += Softplus(-margins[j]);
        }

        var distance = 0.0;
        for (var k = 0; k < w.Length; k++)
        {
            var delta = (double)w[k] - prior[k];
            distance += delta * delta;
        }

        return total + (lambda / 2 * distance);
    }

    private static void Gradient(DifferenceRows x, IReadOnlyList<int> rows, float[] w, float[] prior, double lambda, double[] margins, float[] gradient, double[] curvature)
    {
        for (var k = 0; k < w.Length; k++)
        {
            gradient[k] = (float)(lambda * (w[k] - prior[k]));
        }

        for (var j = 0; j < rows.Count; j++)
        {
            var p = PairPredictions.Sigmoid(margins[j]);
            curvature[j] = p * (1 - p);
            VectorMath.AddScaled(gradient, x.Row(rows[j]), (float)(p - 1));
        }
    }

    /// <summary>Solves H p = -g approximately, H v = sum_j c_j (x_j . v) x_j + lambda v.</summary>
    private static float[] ConjugateGradient(DifferenceRows x, IReadOnlyList<int> rows, double[] curvature, double lambda, float[] gradient, double tolerance)
    {
        var d = gradient.Length;
        var solution = new float[d];
        var residual = new float[d];
        for (var k = 0; k < d; k++)
        {
            residual[k] = -gradient[k];
        }

        var direction = (float[])residual.Clone();
        var product = new float[d];
        var rr = VectorMath.Dot(residual, residual);
        for (var step = 0; step < MaxCgSteps && Math.Sqrt(rr) > tolerance; step++)
        {
            for (var k = 0; k < d; k++)
            {
                product[k] = (float)(lambda * direction[k]);
            }

            for (var j = 0; j < rows.Count; j++)
            {
                var row = x.Row(rows[j]);
                VectorMath.AddScaled(product, row, (float)(curvature[j] * VectorMath.Dot(row, direction)));
            }

            var curvatureAlong = VectorMath.Dot(direction, product);
            if (curvatureAlong <= 0)
            {
                break;
            }

            var alpha = rr / curvatureAlong;
            VectorMath.AddScaled(solution, direction, (float)alpha);
            VectorMath.AddScaled(residual, product, (float)-alpha);
            var next = VectorMath.Dot(residual, residual);
            var beta = next / rr;
            rr = next;
            for (var k = 0; k < d; k++)
            {
                direction[k] = residual[k] + (float)(beta * direction[k]);
            }
        }

        return solution;
    }
}
