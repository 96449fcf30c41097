using Pluralistic.Models.Dpa;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Models.Dpa;

/// <summary>The users' direction fit maximises its concave objective on the unit sphere, padded users included.</summary>
public class DirectionFitterTests
{
    private const int Users = 3;
    private const int Rows = 12;
    private const int K = 5;
    private const double Scale = 2;
    private const double Concentration = 1;

    [Fact]
    public void Every_users_direction_beats_every_nearby_unit_vector()
    {
        var random = new Random(3);
        var truth = Unit(Enumerable.Range(0, K).Select(_ => Gaussian(random)).ToArray());
        var differences = new float[Users * Rows * K];
        var weights = new float[Users * Rows];
        for (var u = 0; u < Users; u++)
        {
            // The last user has fewer pairs: the rest is padding with weight 0.
            var count = u == Users - 1 ? 5 : Rows;
            for (var i = 0; i < Rows; i++)
            {
                var row = Enumerable.Range(0, K).Select(_ => Gaussian(random)).ToArray();
                var sign = row.Zip(truth).Sum(p => p.First * p.Second) >= 0 ? 1 : -1;
                for (var j = 0; j < K; j++)
                {
                    differences[(((u * Rows) + i) * K) + j] = (float)(sign * row[j]);
                }

                weights[(u * Rows) + i] = i < count ? 1 : 0;
            }
        }

        var prior = Unit(Enumerable.Range(0, K).Select(_ => Gaussian(random)).ToArray());
        float[] fitted;
        using (NewDisposeScope())
        {
            var directions = DirectionFitter.Fit(
                tensor(differences, [Users, Rows, K]),
                tensor(weights, [Users, Rows]),
                Scale,
                tensor(prior.Select(x => (float)x).ToArray(), [K]),
                Concentration,
                iterations: 300);
            fitted = directions.data<float>().ToArray();
        }

        for (var u = 0; u < Users; u++)
        {
            var v = fitted.AsSpan(u * K, K).ToArray().Select(x => (double)x).ToArray();
            Assert.Equal(1, Math.Sqrt(v.Sum(x => x * x)), 4);
            var best = Objective(differences, weights, u, prior, v);
            for (var trial = 0; trial < 50; trial++)
            {
                var nearby = Unit(v.Select(x => x + (0.05 * Gaussian(random))).ToArray());
                Assert.True(best >= Objective(differences, weights, u, prior, nearby) - 1e-4, $"user {u}: a nearby unit vector scores higher");
            }
        }
    }

    // sum_i w_i log sigmoid(s v . d_i) + kappa m . v
    private static double Objective(float[] differences, float[] weights, int user, double[] prior, double[] v)
    {
        var total = Concentration * prior.Zip(v).Sum(p => p.First * p.Second);
        for (var i = 0; i < Rows; i++)
        {
            var margin = 0.0;
            for (var j = 0; j < K; j++)
            {
                margin += differences[(((user * Rows) + i) * K) + j] * v[j];
            }

            total += weights[(user * Rows) + i] * -Math.Log(1 + Math.Exp(-Scale * margin));
        }

        return total;
    }

    private static double[] Unit(double[] x)
    {
        var norm = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / norm).ToArray();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
