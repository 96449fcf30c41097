using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// <see cref="ContextRefinement"/> with its step size as a learned parameter (on a log scale, so it stays positive):
/// the piece a network holds when its users' states are fitted to their context by meta-trained steps.
/// </summary>
public sealed class LearnedContextRefinement : nn.Module
{
    private readonly Parameter logStepSize;

    /// <summary>Creates the refinement.</summary>
    /// <param name="steps">Gradient steps (positive).</param>
    /// <param name="initialStepSize">The step size before training (positive).</param>
    /// <param name="anchor">Weight of the pull towards the starting state (non-negative).</param>
    /// <param name="name">Module name.</param>
    public LearnedContextRefinement(int steps, double initialStepSize, double anchor, string name = "refinement")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialStepSize);
        ArgumentOutOfRangeException.ThrowIfNegative(anchor);
        Steps = steps;
        Anchor = anchor;
        logStepSize = new Parameter(tensor((float)Math.Log(initialStepSize)));
        RegisterComponents();
    }

    /// <summary>Gradient steps.</summary>
    public int Steps { get; }

    /// <summary>Weight of the pull towards the starting state.</summary>
    public double Anchor { get; }

    /// <summary>Refines states; see <see cref="ContextRefinement.Refine"/>.</summary>
    /// <param name="start">Starting states [B, S].</param>
    /// <param name="contextMargins">Margins of every context pair for states [B, S]: [B, K].</param>
    /// <param name="weights">Pair weights times the mask [B, K].</param>
    /// <param name="differentiable">Keep the graph (training) or detach each step (adapting users).</param>
    /// <returns>[B, S].</returns>
    public Tensor Refine(Tensor start, Func<Tensor, Tensor> contextMargins, Tensor weights, bool differentiable) =>
        ContextRefinement.Refine(start, contextMargins, weights, logStepSize.exp(), Anchor, Steps, differentiable);
}
