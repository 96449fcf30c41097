using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class ContextRefinementTests
{
    /// <summary>A linear reward over fixed features: margin_k(s) = s . d_k, d_k the feature difference of pair k.</summary>
    private static Func<Tensor, Tensor> LinearMargins(Tensor differences) => s => (differences * s.unsqueeze(1)).sum(-1);

    /// <summary>
    /// Three users' states, five context pairs each, whose margins go through a learnable map (as a reward head's do),
    /// and a learnable log step size: every tensor a differentiable refinement can pass gradients to.
    /// </summary>
    private static (Tensor Head, Tensor Start, Tensor LogStep, Func<Tensor, Tensor> Margins) LearnableProblem(int seed)
    {
        using var generator = new Generator((ulong)seed);
        var differences = randn(3, 5, 4, generator: generator);
        var head = randn(4, 4, generator: generator).requires_grad_(true);
        var start = randn(3, 4, generator: generator).requires_grad_(true);
        return (head, start, tensor(-1f).requires_grad_(true), s => (differences.matmul(head) * s.unsqueeze(1)).sum(-1));
    }

    /// <summary>Differentiable refinement of <see cref="LearnableProblem"/>'s states (all pairs weighted alike, anchor 0.1).</summary>
    private static Tensor Refined(Tensor start, Func<Tensor, Tensor> margins, Tensor logStep, int steps, AdaptationGradient gradient) =>
        ContextRefinement.Refine(start, margins, ones(3, 5), logStep.exp(), anchor: 0.1, steps, differentiable: true, gradient);

    private static Tensor ContextLoss(Tensor differences, Tensor weights, Tensor s) =>
        (nn.functional.softplus(-LinearMargins(differences)(s)) * weights).sum(1) / weights.sum(1).clamp_min(1e-12);

    [Fact]
    public void Steps_fit_each_users_context_and_leave_users_without_pairs_where_they_started()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var differences = randn(4, 6, 5, generator: generator);
        var weights = ones(4, 6);
        weights[3] = zeros(6);
        var start = randn(4, 5, generator: generator);
        var step = tensor(0.5f);

        var refined = ContextRefinement.Refine(start, LinearMargins(differences), weights, step, anchor: 0, steps: 10, differentiable: false);

        Assert.False(refined.requires_grad);
        var before = ContextLoss(differences, weights, start);
        var after = ContextLoss(differences, weights, refined);
        for (var u = 0; u < 3; u++)
        {
            Assert.True(after[u].item<float>() < before[u].item<float>() - 1e-3f, $"user {u}: {before[u].item<float>()} -> {after[u].item<float>()}");
        }

        Assert.Equal(start[3].data<float>().ToArray(), refined[3].data<float>().ToArray());
        Assert.Same(start, ContextRefinement.Refine(start, LinearMargins(differences), weights, step, anchor: 0, steps: 0, differentiable: false));
    }

    [Fact]
    public void The_anchor_keeps_the_refined_conditions_closer_to_the_start()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        var differences = randn(8, 4, 5, generator: generator);
        var weights = ones(8, 4);
        var start = zeros(8, 5);
        var step = tensor(0.5f);

        var free = ContextRefinement.Refine(start, LinearMargins(differences), weights, step, anchor: 0, steps: 20, differentiable: false);
        var anchored = ContextRefinement.Refine(start, LinearMargins(differences), weights, step, anchor: 1, steps: 20, differentiable: false);

        Assert.True(anchored.norm().item<float>() < free.norm().item<float>() * 0.9f);
    }

    [Fact]
    public void Differentiable_steps_pass_gradients_to_the_start_the_head_and_the_step_size()
    {
        using var scope = NewDisposeScope();
        var (head, start, logStep, Margins) = LearnableProblem(7);

        var refined = ContextRefinement.Refine(start, Margins, ones(3, 5), logStep.exp(), anchor: 0.1, steps: 3, differentiable: true);
        refined.square().sum().backward();

        foreach (var (name, parameter) in new[] { ("start", start), ("head", head), ("step size", logStep) })
        {
            Assert.NotNull(parameter.grad);
            Assert.True(parameter.grad!.abs().sum().item<float>() > 0, $"no gradient reached the {name}");
        }

        // Detached steps give the same values without the graph.
        var detached = ContextRefinement.Refine(start, Margins, ones(3, 5), logStep.exp(), anchor: 0.1, steps: 3, differentiable: false);
        Assert.True((detached - refined.detach()).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void First_order_steps_give_the_second_order_value_and_pass_gradients_to_the_start_and_the_step_size_only()
    {
        using var scope = NewDisposeScope();
        var (head, start, logStep, Margins) = LearnableProblem(11);

        var secondOrder = Refined(start, Margins, logStep, 3, AdaptationGradient.SecondOrder);
        var firstOrder = Refined(start, Margins, logStep, 3, AdaptationGradient.FirstOrder);
        Assert.True((firstOrder - secondOrder).abs().max().item<float>() < 1e-5f);

        // First-order: d s_T / d s_0 is the identity and d s_T / d step is minus the summed step gradients; the head
        // gets nothing through the steps.
        firstOrder.sum().backward();
        Assert.Null(head.grad);
        Assert.True((start.grad! - ones_like(start)).abs().max().item<float>() < 1e-6f);
        var moved = (firstOrder.detach() - start.detach()).sum().item<float>();
        Assert.Equal(moved, logStep.grad!.item<float>(), 4);
        Assert.True(Math.Abs(moved) > 1e-3);
    }

    [Fact]
    public void Truncated_steps_give_the_second_order_value_and_pass_the_heads_gradient_through_the_last_step()
    {
        using var scope = NewDisposeScope();
        var (head, start, logStep, Margins) = LearnableProblem(13);

        var secondOrder = Refined(start, Margins, logStep, 4, AdaptationGradient.SecondOrder);
        var truncated = Refined(start, Margins, logStep, 4, AdaptationGradient.TruncatedSecondOrder);
        Assert.True((truncated - secondOrder).abs().max().item<float>() < 1e-5f);

        truncated.square().sum().backward();
        foreach (var (name, parameter) in new[] { ("start", start), ("head", head), ("step size", logStep) })
        {
            Assert.NotNull(parameter.grad);
            Assert.True(parameter.grad!.abs().sum().item<float>() > 0, $"no gradient reached the {name}");
        }

        // One step: truncated is second-order.
        var headGradient = head.grad!.clone();
        head.grad!.zero_();
        Refined(start, Margins, logStep, 1, AdaptationGradient.TruncatedSecondOrder).square().sum().backward();
        var truncatedOne = head.grad!.clone();
        head.grad!.zero_();
        Refined(start, Margins, logStep, 1, AdaptationGradient.SecondOrder).square().sum().backward();
        Assert.True((truncatedOne - head.grad!).abs().max().item<float>() < 1e-5f);
        Assert.True(headGradient.abs().sum().item<float>() > 0);
    }
}
