using Pluralistic.Models.Dpa;
using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Models;

/// <summary>
/// DPA's managed forward at the benchmark's size (768-dimensional responses, 64 candidates: large enough for the
/// request to be split over the cores) with input statistics far from 0 and 1, so the division folded into the first
/// layer and the centring are both exercised, for the MLP regression and the random features.
/// </summary>
public class DpaManagedScorerTests
{
    [Theory]
    [InlineData(ObjectiveRegression.Mlp, 64)]
    [InlineData(ObjectiveRegression.Mlp, 7)]
    [InlineData(ObjectiveRegression.RandomFeatureRidge, 64)]
    public void The_managed_scores_of_a_large_request_equal_libtorch_objectives_times_direction_and_scale(ObjectiveRegression regression, int candidates)
    {
        const int Dimension = 768;
        const int Objectives = 8;
        const float Scale = 1.7f;
        using var scope = NewDisposeScope();
        random.manual_seed(12);
        using var network = new DpaNetwork(Dimension, 0, Objectives, latent: false, new DpaOptions { Regression = regression, RandomFeatures = 256 });
        network.eval();
        network.SetInputStatistics(randn(Dimension).mul(ScalarCache.Of(0.5)), rand(Dimension).mul(ScalarCache.Of(3.0)).add(ScalarCache.Of(0.01)));
        var responses = randn(candidates, Dimension);
        var directions = randn(2, Objectives);
        using var noGrad = no_grad();
        var expected = network.call(responses, null).matmul(directions.t()).mul(ScalarCache.Of(Scale)).data<float>().ToArray();

        var scorer = DpaManagedScorer.Create(network, Scale);
        if (candidates == 64)
        {
            Assert.True(scorer.Work(candidates, 2) >= ManagedParallel.Work, "the request should be split over the cores");
        }

        var actual = new float[candidates * 2];
        scorer.ScoreMatrix(responses.data<float>().ToArray(), [], candidates, directions.data<float>().ToArray(), 2, actual);
        Assert.Contains(expected, v => Math.Abs(v - expected[0]) > 1e-3);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"value {i}: {actual[i]} managed, {expected[i]} libtorch");
        }
    }
}
