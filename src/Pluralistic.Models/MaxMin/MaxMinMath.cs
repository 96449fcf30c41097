using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>The likelihood arithmetic MaxMin's E-step, state inference and group selection share.</summary>
internal static class MaxMinMath
{
    private const int Chunk = 8192;

    /// <summary>Per user and head, the summed weighted log-likelihood of the user's rows, row-major [users, K].</summary>
    public static double[] UserLogLikelihoods(MaxMinNetwork network, PairTensors rows, int users) =>
        UserLogLikelihoods(network, rows.Chosen, rows.Rejected, rows.Prompts, rows.Weights, rows.Users, users);

    /// <summary>Per user and head, the summed weighted log-likelihood of the rows, row-major [users, K].</summary>
    /// <param name="network">The heads (in eval mode).</param>
    /// <param name="chosen">[N, d].</param>
    /// <param name="rejected">[N, d].</param>
    /// <param name="prompts">[N, dp] or <see langword="null"/>.</param>
    /// <param name="weights">[N].</param>
    /// <param name="userIndex">[N] int64 user of each row, in 0..users-1.</param>
    /// <param name="users">The number of users.</param>
    public static double[] UserLogLikelihoods(MaxMinNetwork network, Tensor chosen, Tensor rejected, Tensor? prompts, Tensor weights, Tensor userIndex, int users)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var total = zeros([users, network.Groups], ScalarType.Float64, chosen.device);
        var n = chosen.shape[0];
        for (long start = 0; start < n; start += Chunk)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(Chunk, n - start);
            var ll = network.PairLogLikelihood(
                chosen.narrow(0, start, length), rejected.narrow(0, start, length), prompts?.narrow(0, start, length), weights.narrow(0, start, length));
            total.index_add_(0, userIndex.narrow(0, start, length), ll.to_type(ScalarType.Float64), ScalarCache.Of(1L));
        }

        return total.cpu().data<double>().ToArray();
    }

    /// <summary>Row-wise posterior <c>softmax(log prior + L)</c> of row-major [users, K] log-likelihoods.</summary>
    public static double[] Posterior(double[] logLikelihoods, double[] logPrior)
    {
        var k = logPrior.Length;
        var posterior = new double[logLikelihoods.Length];
        for (var row = 0; row < logLikelihoods.Length / k; row++)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < k; j++)
            {
                posterior[(row * k) + j] = logPrior[j] + logLikelihoods[(row * k) + j];
                max = Math.Max(max, posterior[(row * k) + j]);
            }

            double sum = 0;
            for (var j = 0; j < k; j++)
            {
                sum += posterior[(row * k) + j] = Math.Exp(posterior[(row * k) + j] - max);
            }

            for (var j = 0; j < k; j++)
            {
                posterior[(row * k) + j] /= sum;
            }
        }

        return posterior;
    }

    /// <summary>Row-wise <c>log sum_k exp(a_k + b_k)</c> of row-major [rows, K] terms (b may be a single row, repeated).</summary>
    public static double[] LogSumExp(double[] a, double[] b, int k)
    {
        var rows = a.Length / k;
        var result = new double[rows];
        for (var row = 0; row < rows; row++)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < k; j++)
            {
                max = Math.Max(max, a[(row * k) + j] + b[(b.Length == k ? 0 : row * k) + j]);
            }

            double sum = 0;
            for (var j = 0; j < k; j++)
            {
                sum += Math.Exp(a[(row * k) + j] + b[(b.Length == k ? 0 : row * k) + j] - max);
            }

            result[row] = max + Math.Log(sum);
        }

        return result;
    }

    /// <summary>Each head's share: the column means of row-major [users, K] responsibilities.</summary>
    public static double[] Shares(double[] responsibilities, int k)
    {
        var shares = new double[k];
        var rows = responsibilities.Length / k;
        for (var i = 0; i < responsibilities.Length; i++)
        {
            shares[i % k] += responsibilities[i] / rows;
        }

        return shares;
    }

    /// <summary>The logarithm of shares, floored so that an empty group keeps a finite (very small) prior.</summary>
    public static double[] LogPrior(double[] shares) => shares.Select(s => Math.Log(Math.Max(s, 1e-6))).ToArray();

    /// <summary>One-hot rows of an assignment.</summary>
    public static double[] OneHot(int[] assignment, int k)
    {
        var rows = new double[assignment.Length * k];
        for (var u = 0; u < assignment.Length; u++)
        {
            rows[(u * k) + assignment[u]] = 1;
        }

        return rows;
    }

    /// <summary>Per row, the index of the largest value (the lowest on a tie).</summary>
    public static int[] ArgMax(double[] values, int k)
    {
        var result = new int[values.Length / k];
        for (var row = 0; row < result.Length; row++)
        {
            var best = 0;
            for (var j = 1; j < k; j++)
            {
                if (values[(row * k) + j] > values[(row * k) + best])
                {
                    best = j;
                }
            }

            result[row] = best;
        }

        return result;
    }
}
