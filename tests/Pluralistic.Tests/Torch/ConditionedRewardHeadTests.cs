using Pluralistic.Models.Fspo;
using Pluralistic.Models.Vpl;
using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

/// <summary>
/// The conditioned head projects its inputs once and combines them with each condition: the decomposed paths (the
/// reward matrix in chunks of conditions, rows, margins of projected pairs) equal a naive forward over the concatenated
/// [input ; condition], for the head and for VPL's and FSPO's networks, with and without prompts.
/// </summary>
public class ConditionedRewardHeadTests
{
    private const float Tolerance = 1e-4f;

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.LeakyRelu)]
    public void The_matrix_in_chunks_of_conditions_equals_the_naive_concatenated_forward(Activation activation)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);

        // 512 x 64 activations per condition: the matrix takes 150 conditions in three chunks.
        using var head = TorchRuntime.Seeded(3, () => new ConditionedRewardHead(12, 5, [64], activation));
        var inputs = randn(512, 12, generator: generator);
        var conditions = randn(150, 5, generator: generator);

        var naive = Naive(head, "", inputs, conditions, activation);
        Tensor matrix;
        using (no_grad())
        {
            matrix = head.Matrix(inputs, conditions);
        }

        Assert.Equal([512, 150], matrix.shape);
        Assert.True(MaxDifference(matrix, naive) < Tolerance, $"matrix differs by {MaxDifference(matrix, naive)}");

        // With autograd (no in-place activations) the same values, and a graph to the parameters.
        var withGrad = head.Matrix(inputs, conditions);
        Assert.True(withGrad.requires_grad);
        Assert.True(MaxDifference(withGrad, naive) < Tolerance);

        // Rows and broadcasting: input i under condition j.
        var rows = head.call(inputs.unsqueeze(1), conditions.unsqueeze(0));
        Assert.True(MaxDifference(rows, naive) < Tolerance);
    }

    [Fact]
    public void Margins_of_projected_pairs_equal_the_difference_of_rewards()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        using var head = TorchRuntime.Seeded(5, () => new ConditionedRewardHead(7, 4, [16, 8]));
        var chosen = randn(6, 9, 7, generator: generator);
        var rejected = randn(6, 9, 7, generator: generator);
        var conditions = randn(6, 1, 4, generator: generator);

        var margins = head.Margins(head.ProjectPairs(chosen, rejected), conditions);
        var expected = head.call(chosen, conditions) - head.call(rejected, conditions);
        Assert.Equal([6, 9], margins.shape);
        Assert.True(MaxDifference(margins, expected) < 1e-5f);

        // Two hidden layers: the matrix path runs them on [conditions, inputs, width] too.
        var matrix = head.Matrix(chosen.select(0, 0), conditions.squeeze(1));
        var broadcast = head.call(chosen.select(0, 0).unsqueeze(1), conditions.squeeze(1).unsqueeze(0));
        Assert.True(MaxDifference(matrix, broadcast) < 1e-5f);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Vpl_scores_a_matrix_rows_and_margins_like_the_naive_forward(int promptDimension)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(7);
        using var network = TorchRuntime.Seeded(7, () => new VplNetwork(10, promptDimension, new VplOptions()));
        var (responses, prompts, states) = Inputs(generator, 300, 10, promptDimension, 40, 2 * network.LatentSize);
        using var noGrad = no_grad();
        var latents = network.StateLatent(states);

        var naive = Naive(network, "head.", RewardInputs.Of(responses, prompts), latents, Activation.Gelu);
        Assert.True(MaxDifference(network.ScoreMatrix(responses, prompts, latents), naive) < Tolerance);

        // Row i under state i, for the first 40 responses.
        var rows = network.ScoreRows(responses.narrow(0, 0, 40), prompts?.narrow(0, 0, 40), latents);
        Assert.True(MaxDifference(rows, naive.narrow(0, 0, 40).diagonal()) < Tolerance);

        // Margins of response 2i against 2i+1 (under the prompt of 2i) under latent i: the rows path's difference.
        var (chosen, rejected, pairPrompts) = Halves(responses, prompts, 40);
        var margins = network.Margins(chosen, rejected, pairPrompts, latents);
        var expected = network.ScoreRows(chosen, pairPrompts, latents) - network.ScoreRows(rejected, pairPrompts, latents);
        Assert.True(MaxDifference(margins, expected) < Tolerance);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Fspo_scores_a_matrix_rows_and_margins_like_the_naive_forward(int promptDimension)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(9);
        using var network = TorchRuntime.Seeded(9, () => new FspoNetwork(10, promptDimension, new FspoOptions()));
        var (responses, prompts, summaries) = Inputs(generator, 300, 10, promptDimension, 40, network.SummarySize);
        using var noGrad = no_grad();

        var naive = Naive(network, "head.", prompts is null ? responses : cat([responses, prompts], dim: -1), summaries, Activation.Gelu);
        Assert.True(MaxDifference(network.RewardMatrix(responses, prompts, summaries), naive) < Tolerance);
        var rows = network.Rewards(responses.narrow(0, 0, 40), prompts?.narrow(0, 0, 40), summaries);
        Assert.True(MaxDifference(rows, naive.narrow(0, 0, 40).diagonal()) < Tolerance);

        var (chosen, rejected, pairPrompts) = Halves(responses, prompts, 40);
        var margins = network.Margins(chosen, rejected, pairPrompts, summaries);
        var expected = network.Rewards(chosen, pairPrompts, summaries) - network.Rewards(rejected, pairPrompts, summaries);
        Assert.True(MaxDifference(margins, expected) < Tolerance);
    }

    private static (Tensor Responses, Tensor? Prompts, Tensor States) Inputs(Generator generator, int m, int d, int dp, int n, int stateSize) =>
        (randn(m, d, generator: generator), dp == 0 ? null : randn(m, dp, generator: generator), randn(n, stateSize, generator: generator));

    /// <summary>Responses 2i and 2i+1 (with their prompts) as pair i, for the first <paramref name="pairs"/> pairs.</summary>
    private static (Tensor Chosen, Tensor Rejected, Tensor? Prompts) Halves(Tensor responses, Tensor? prompts, int pairs)
    {
        var grouped = responses.narrow(0, 0, 2 * pairs).view(pairs, 2, -1);
        return (grouped.select(1, 0), grouped.select(1, 1), prompts?.narrow(0, 0, 2 * pairs).view(pairs, 2, -1).select(1, 0));
    }

    /// <summary>
    /// The head's rewards [M, N] computed the naive way: every [input ; condition] concatenated and pushed through one
    /// linear layer with the head's first-layer weights side by side, the activation, then the output weights and bias
    /// generated from the condition. One hidden layer.
    /// </summary>
    private static Tensor Naive(nn.Module module, string prefix, Tensor inputs, Tensor conditions, Activation activation)
    {
        using var noGrad = no_grad();
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var m = inputs.shape[0];
        var n = conditions.shape[0];
        var joined = cat([inputs.unsqueeze(1).expand(m, n, -1), conditions.unsqueeze(0).expand(m, n, -1)], dim: -1);
        var weight = cat([parameters[prefix + "input.weight"], parameters[prefix + "condition.weight"]], dim: 1);
        var pre = joined.matmul(weight.t()) + parameters[prefix + "input.bias"];
        var h = activation == Activation.Gelu ? nn.functional.gelu(pre) : nn.functional.leaky_relu(pre, 0.2);
        var outputs = conditions.matmul(parameters[prefix + "output.weight"].t()) + parameters[prefix + "output.bias"];
        var width = h.shape[^1];
        return (h * outputs.narrow(1, 0, width).unsqueeze(0)).sum(-1) + outputs.select(1, width).unsqueeze(0);
    }

    private static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
}
