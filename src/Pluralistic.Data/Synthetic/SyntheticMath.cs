namespace Pluralistic.Data;

/// <summary>Seeded random draws and small vector helpers for the synthetic generators.</summary>
internal static class SyntheticMath
{
    public static double Gaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() avoids log(0).
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static double[] GaussianVector(Random random, int dimension, double scale = 1)
    {
        var v = new double[dimension];
        for (var i = 0; i < dimension; i++)
        {
            v[i] = Gaussian(random) * scale;
        }

        return v;
    }

    /// <summary>
    /// Group indices for <paramref name="count"/> users in random order: round(share * count) users for every group
    /// but the first, which takes the rest.
    /// </summary>
    public static int[] AssignGroups(IReadOnlyList<double> shares, int count, Random random)
    {
        var groups = new int[count];
        var next = 0;
        for (var g = shares.Count - 1; g >= 1; g--)
        {
            var n = (int)Math.Round(shares[g] * count);
            for (var i = 0; i < n && next < count; i++)
            {
                groups[next++] = g;
            }
        }

        random.Shuffle(groups);
        return groups;
    }

    public static double[] UnitVector(Random random, int dimension) => Normalize(GaussianVector(random, dimension));

    public static double[] Normalize(double[] v)
    {
        var norm = Math.Sqrt(Dot(v, v));
        return norm == 0 ? v : v.Select(x => x / norm).ToArray();
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static double[] Combine(double a, double[] x, double b, double[] y) => x.Select((v, i) => (a * v) + (b * y[i])).ToArray();

    /// <summary>A random unit vector whose cosine with the unit vector <paramref name="centre"/> is exactly <paramref name="cosine"/>.</summary>
    public static double[] AtCosine(Random random, double[] centre, double cosine)
    {
        var noise = GaussianVector(random, centre.Length);
        var along = Dot(noise, centre);
        var orthogonal = Normalize(noise.Select((v, i) => v - (along * centre[i])).ToArray());
        return Combine(cosine, centre, Math.Sqrt(1 - (cosine * cosine)), orthogonal);
    }

    /// <summary>A draw from the symmetric Dirichlet distribution (via normalised Gamma(alpha) draws, alpha &gt;= 1).</summary>
    public static double[] Dirichlet(Random random, int dimension, double alpha)
    {
        var g = new double[dimension];
        for (var i = 0; i < dimension; i++)
        {
            g[i] = Gamma(random, alpha);
        }

        var sum = g.Sum();
        return g.Select(x => x / sum).ToArray();
    }

    private static double Gamma(Random random, double alpha)
    {
        // Marsaglia-Tsang for alpha >= 1.
        var d = alpha - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Gaussian(random);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }
}

/// <summary>A fixed random nonlinear feature map: <c>tanh(A x + b)</c>.</summary>
internal sealed class TanhFeatures
{
    private readonly double[][] _weights;
    private readonly double[] _bias;

    public TanhFeatures(Random random, int inputs, int outputs, double gain, double biasScale)
    {
        _weights = Enumerable.Range(0, outputs).Select(_ => SyntheticMath.GaussianVector(random, inputs, gain)).ToArray();
        _bias = SyntheticMath.GaussianVector(random, outputs, biasScale);
    }

    public int Outputs => _bias.Length;

    public void Apply(ReadOnlySpan<float> x, Span<double> output)
    {
        for (var o = 0; o < _bias.Length; o++)
        {
            var sum = _bias[o];
            var row = _weights[o];
            for (var i = 0; i < x.Length; i++)
            {
                sum += row[i] * x[i];
            }

            output[o] = Math.Tanh(sum);
        }
    }
}
