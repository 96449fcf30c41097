using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// A few gradient steps on per-user condition vectors (summaries or latents) that fit each user's own context pairs
/// with the population frozen: <c>s &lt;- s - step * grad_s [ mean_k w_k softplus(-margin_k(s)) + anchor ||s - s_0||^2 ]</c>.
/// Differentiable mode keeps the graph (second-order), so meta-training learns an encoder, a head and a step size that
/// refine well — the steps a model takes at test time are the ones it was trained with (CAVIA-style adaptation).
/// </summary>
public static class ContextRefinement
{
    /// <summary>Refines the conditions.</summary>
    /// <param name="start">The encoded conditions s_0 [B, S].</param>
    /// <param name="contextMargins">Margins r(chosen | s) - r(rejected | s) of every context pair for conditions [B, S]: [B, K].</param>
    /// <param name="weights">Weight of each context pair times its mask [B, K] (a row of zeros leaves that user at s_0).</param>
    /// <param name="stepSize">The step size: a positive scalar tensor (a learned parameter in differentiable mode).</param>
    /// <param name="anchor">Weight of the pull towards s_0, so a few pairs cannot drag s far.</param>
    /// <param name="steps">Gradient steps.</param>
    /// <param name="differentiable">
    /// Keep the graph through the steps (training); otherwise each step's result is detached (adapting users).
    /// </param>
    /// <returns>The refined conditions [B, S].</returns>
    public static Tensor Refine(Tensor start, Func<Tensor, Tensor> contextMargins, Tensor weights, Tensor stepSize, double anchor, int steps, bool differentiable) =>
        Refine(start, contextMargins, weights, stepSize, anchor, steps, differentiable, AdaptationGradient.SecondOrder);

    /// <summary>Refines the conditions, differentiating through the steps as <paramref name="gradient"/> says.</summary>
    /// <param name="start">The encoded conditions s_0 [B, S].</param>
    /// <param name="contextMargins">Margins r(chosen | s) - r(rejected | s) of every context pair for conditions [B, S]: [B, K].</param>
    /// <param name="weights">Weight of each context pair times its mask [B, K] (a row of zeros leaves that user at s_0).</param>
    /// <param name="stepSize">The step size: a positive scalar tensor (a learned parameter in differentiable mode).</param>
    /// <param name="anchor">Weight of the pull towards s_0, so a few pairs cannot drag s far.</param>
    /// <param name="steps">Gradient steps.</param>
    /// <param name="differentiable">Keep a graph from the result to s_0 and the step size (training), or detach it (adapting users).</param>
    /// <param name="gradient">
    /// In differentiable mode, how the result depends on s_0 and the step size: through every step (second-order),
    /// with each step's gradient held constant, <c>s_T = s_0 - step * sum_t g_t</c> (first-order: the same value, a
    /// far cheaper backward pass), or first-order up to the last step and second-order through it (truncated).
    /// </param>
    /// <returns>The refined conditions [B, S].</returns>
    public static Tensor Refine(Tensor start, Func<Tensor, Tensor> contextMargins, Tensor weights, Tensor stepSize, double anchor, int steps, bool differentiable, AdaptationGradient gradient)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(contextMargins);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(stepSize);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (steps == 0)
        {
            return start;
        }

        using var grad = enable_grad();
        var perUser = weights.sum(1, keepdim: true).clamp_min(ScalarCache.Of(1e-12));
        var normalised = weights / perUser;
        if (differentiable && gradient == AdaptationGradient.SecondOrder)
        {
            var unrolled = start;
            for (var step = 0; step < steps; step++)
            {
                unrolled = unrolled - StepGradient(unrolled, start, contextMargins, normalised, anchor, createGraph: true) * stepSize;
            }

            return unrolled;
        }

        // The steps that are not differentiated through: every step when adapting users or training first-order, all
        // but the last when training truncated.
        var truncated = differentiable && gradient == AdaptationGradient.TruncatedSecondOrder;
        var detachedSteps = truncated ? steps - 1 : steps;
        var anchorPoint = start.detach();
        var detachedStep = stepSize.detach();
        var s = start.detach();
        Tensor? summed = null;
        for (var step = 0; step < detachedSteps; step++)
        {
            var g = StepGradient(s.requires_grad_(true), anchorPoint, contextMargins, normalised, anchor, createGraph: false);
            summed = !differentiable ? null : summed is null ? g : summed.Plus(g);
            s = (s - g * detachedStep).detach();
        }

        if (!differentiable)
        {
            return s;
        }

        // Those steps' gradients are constants: the state after them has the detached loop's value and a graph that
        // reaches s_0 (identity) and the step size (minus the summed gradients), without a backward through the steps.
        var result = summed is null ? start : start - (summed * stepSize);
        return truncated
            ? result - StepGradient(result, start, contextMargins, normalised, anchor, createGraph: true) * stepSize
            : result;
    }

    /// <summary>The gradient of the context loss (plus the anchor's pull) at <paramref name="s"/>, with a graph when <paramref name="createGraph"/>.</summary>
    private static Tensor StepGradient(Tensor s, Tensor anchorPoint, Func<Tensor, Tensor> contextMargins, Tensor normalisedWeights, double anchor, bool createGraph)
    {
        var loss = ((-contextMargins(s)).Softplus() * normalisedWeights).sum()
            .Plus((s - anchorPoint).Squared().sum().Times(anchor));
        return autograd.grad([loss], [s], retain_graph: createGraph, create_graph: createGraph)[0];
    }
}
