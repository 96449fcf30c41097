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
    public static Tensor Refine(Tensor start, Func<Tensor, Tensor> contextMargins, Tensor weights, Tensor stepSize, double anchor, int steps, bool differentiable)
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
        var anchorPoint = differentiable ? start : start.detach();
        var s = differentiable ? start : start.detach().requires_grad_(true);
        for (var step = 0; step < steps; step++)
        {
            var loss = ((-contextMargins(s)).Softplus() * normalised).sum()
                .Plus((s - anchorPoint).Squared().sum().Times(anchor));
            var gradient = autograd.grad([loss], [s], retain_graph: differentiable, create_graph: differentiable)[0];
            s = differentiable
                ? s - gradient * stepSize
                : (s - gradient * stepSize).detach().requires_grad_(step < steps - 1);
        }

        return differentiable ? s : s.detach();
    }
}
