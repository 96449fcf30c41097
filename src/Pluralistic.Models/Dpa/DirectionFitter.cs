using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Dpa;

/// <summary>
/// Fits users' unit directions with the objective vector r(x) frozen, batched across users: for each user,
/// maximise <c>sum_i w_i log sigmoid(s v . d_i) + kappa m . v</c> over the unit ball, where d_i = r(chosen) - r(rejected)
/// of the user's pairs, s the reward scale, m the population direction and kappa the concentration of a von
/// Mises-Fisher prior around it. The objective is concave, so accelerated projected gradient ascent (FISTA) with
/// each user's own step 1/L (L bounds the curvature) converges; the solution is normalised onto the sphere.
/// </summary>
internal static class DirectionFitter
{
    /// <summary>
    /// Pads per-user groups of rows into [U, N, K] differences and [U, N] weights (0 for padding). Call inside a
    /// dispose scope.
    /// </summary>
    /// <param name="differences">[P, K] differences of all rows.</param>
    /// <param name="weights">[P] example weights.</param>
    /// <param name="groups">Per user, the row positions (may be empty).</param>
    public static (Tensor Differences, Tensor Weights) Pad(Tensor differences, Tensor weights, IReadOnlyList<int[]> groups)
    {
        var width = Math.Max(groups.Count == 0 ? 0 : groups.Max(g => g.Length), 1);
        var index = new long[groups.Count * width];
        var mask = new float[groups.Count * width];
        for (var u = 0; u < groups.Count; u++)
        {
            var rows = groups[u];
            for (var j = 0; j < rows.Length; j++)
            {
                index[(u * width) + j] = rows[j];
                mask[(u * width) + j] = 1;
            }
        }

        var device = differences.device;
        var k = differences.shape[1];
        if (differences.shape[0] == 0)
        {
            return (zeros([groups.Count, width, k], device: device), zeros([groups.Count, width], device: device));
        }

        var indexTensor = tensor(index, [index.LongLength], ScalarType.Int64, device);
        var maskTensor = tensor(mask, [groups.Count, width], ScalarType.Float32, device);
        var padded = differences.index_select(0, indexTensor).reshape(groups.Count, width, k);
        var w = weights.index_select(0, indexTensor).reshape(groups.Count, width) * maskTensor;
        return (padded, w);
    }

    /// <summary>Fits one unit direction per user. Runs without gradients; call inside a dispose scope.</summary>
    /// <param name="differences">[U, N, K] padded differences r(chosen) - r(rejected).</param>
    /// <param name="weights">[U, N] example weights, 0 for padding.</param>
    /// <param name="scale">The reward scale s.</param>
    /// <param name="priorMean">[K] unit population direction, or <see langword="null"/> for no prior.</param>
    /// <param name="concentration">kappa (0: no prior).</param>
    /// <param name="iterations">Projected-gradient iterations.</param>
    /// <returns>[U, K] unit directions.</returns>
    public static Tensor Fit(Tensor differences, Tensor weights, double scale, Tensor? priorMean, double concentration, int iterations)
    {
        using var noGrad = no_grad();
        var users = differences.shape[0];
        var k = differences.shape[2];
        var device = differences.device;
        var sd = differences.Times(scale);
        var weighted = sd * weights.unsqueeze(-1);

        // The Hessian of the log-likelihood is -s^2 sum_i w_i p_i (1 - p_i) d_i d_i^T, bounded by a quarter of the weighted Gram matrix.
        var gram = weighted.transpose(1, 2).bmm(sd).DividedBy(4);
        var lipschitz = linalg.eigvalsh(gram).amax(-1).clamp_min(ScalarCache.Of(1e-6));
        var step = lipschitz.reciprocal().unsqueeze(-1);
        var pull = priorMean is null || concentration <= 0 ? zeros([1, k], device: device) : priorMean.Times(concentration).unsqueeze(0);

        // Start from the gradient at v = 0 (half the weighted mean difference, plus the prior's pull), normalised.
        var start = weighted.sum(1).Times(0.5).Plus(pull);
        var v = Values(Normalize(start, priorMean, k, device));

        // The iterations of each user are a few K-long dot products: managed code, no libtorch op per iteration.
        var rows = (int)differences.shape[1];
        var kk = (int)k;
        var sdValues = Values(sd);
        var weightValues = Values(weights);
        var stepValues = Values(step);
        var pullValues = Values(pull);
        var y = new double[kk];
        var next = new double[kk];
        var gradient = new double[kk];
        for (var u = 0; u < users; u++)
        {
            Accelerate(
                sdValues.AsSpan(u * rows * kk, rows * kk),
                weightValues.AsSpan(u * rows, rows),
                stepValues[u],
                pullValues,
                iterations,
                v.AsSpan(u * kk, kk),
                y,
                next,
                gradient);
        }

        return Normalize(tensor(v, [users, k], ScalarType.Float32, device), priorMean, k, device);
    }

    /// <summary>
    /// The reward scale s maximising <c>sum_i w_i log sigmoid(s m_i)</c> for margins m_i = v_u . d_i (Newton's method),
    /// kept in [1e-3, 1e3].
    /// </summary>
    /// <param name="margins">[P] unscaled margins.</param>
    /// <param name="weights">[P] weights.</param>
    /// <param name="initial">The starting scale.</param>
    public static double FitScale(Tensor margins, Tensor weights, double initial)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var m = margins.to(ScalarType.Float64);
        var w = weights.to(ScalarType.Float64);
        var s = Math.Clamp(initial, 1e-3, 1e3);
        for (var iteration = 0; iteration < 50; iteration++)
        {
            using var inner = NewDisposeScope();
            var p = sigmoid(m.Times(s));
            var gradient = (w * p.SubtractedFrom(1) * m).sum().item<double>();
            var curvature = (w * p * p.SubtractedFrom(1) * m * m).sum().item<double>();
            if (curvature <= 1e-12)
            {
                break;
            }

            var next = Math.Clamp(s + (gradient / curvature), s / 4, s * 4);
            next = Math.Clamp(next, 1e-3, 1e3);
            var done = Math.Abs(next - s) < 1e-6 * s;
            s = next;
            if (done)
            {
                break;
            }
        }

        return s;
    }

    /// <summary>
    /// The concentration of a von Mises-Fisher distribution on the unit sphere in R^K fitted to unit vectors, from
    /// their mean resultant length R: kappa ~ R (K - R^2) / (1 - R^2) (Banerjee et al.'s approximation), capped at 1000.
    /// </summary>
    /// <param name="directions">[U, K] unit vectors.</param>
    /// <returns>kappa, and the unit mean direction.</returns>
    public static (double Concentration, float[] Mean) VonMisesFisher(Tensor directions)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var k = directions.shape[1];
        var resultant = directions.to(ScalarType.Float64).mean([0]);
        var length = resultant.norm().item<double>();
        float[] mean;
        if (length < 1e-9)
        {
            mean = Enumerable.Repeat((float)(1 / Math.Sqrt(k)), (int)k).ToArray();
            return (0, mean);
        }

        mean = resultant.DividedBy(length).to(ScalarType.Float32).cpu().data<float>().ToArray();
        var r = Math.Min(length, 1 - 1e-9);
        var kappa = r * (k - (r * r)) / (1 - (r * r));
        return (Math.Min(kappa, 1000), mean);
    }

    private static float[] Values(Tensor tensor) => tensor.cpu().contiguous().data<float>().ToArray();

    // FISTA for one user: gradient ascent steps from the extrapolated point y, projected onto the unit ball, with
    // Nesterov's momentum; v starts at the normalised start and ends at the last iterate.
    private static void Accelerate(
        ReadOnlySpan<float> sd, ReadOnlySpan<float> weights, float step, ReadOnlySpan<float> pull, int iterations, Span<float> v, double[] y, double[] next, double[] gradient)
    {
        var k = v.Length;
        for (var j = 0; j < k; j++)
        {
            y[j] = v[j];
        }

        var t = 1.0;
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            for (var j = 0; j < k; j++)
            {
                gradient[j] = pull[j];
            }

            for (var i = 0; i < weights.Length; i++)
            {
                if (weights[i] == 0)
                {
                    continue;
                }

                var row = sd.Slice(i * k, k);
                var margin = 0.0;
                for (var j = 0; j < k; j++)
                {
                    margin += row[j] * y[j];
                }

                // w_i sigmoid(-margin).
                var coefficient = weights[i] / (1 + Math.Exp(margin));
                for (var j = 0; j < k; j++)
                {
                    gradient[j] += coefficient * row[j];
                }
            }

            var squared = 0.0;
            for (var j = 0; j < k; j++)
            {
                next[j] = y[j] + (step * gradient[j]);
                squared += next[j] * next[j];
            }

            var shrink = Math.Max(Math.Sqrt(squared), 1);
            var tNext = (1 + Math.Sqrt(1 + (4 * t * t))) / 2;
            var momentum = (t - 1) / tNext;
            for (var j = 0; j < k; j++)
            {
                next[j] /= shrink;
                y[j] = next[j] + ((next[j] - v[j]) * momentum);
                v[j] = (float)next[j];
            }

            t = tNext;
        }
    }

    private static Tensor Normalize(Tensor v, Tensor? fallback, long k, Device device)
    {
        var norm = v.norm(1, keepdim: true);
        var unit = v / norm.clamp_min(ScalarCache.Of(1e-12));
        var replacement = fallback is null ? full([1, k], ScalarCache.Of(1 / Math.Sqrt(k)), ScalarType.Float32, device) : fallback.unsqueeze(0);
        return where(norm.gt(ScalarCache.Of(1e-8)), unit, replacement.expand_as(unit)).contiguous();
    }
}
