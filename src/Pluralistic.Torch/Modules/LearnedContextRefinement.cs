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
        : this(steps, initialStepSize, anchor, AdaptationGradient.SecondOrder, name)
    {
    }

    /// <summary>Creates the refinement, trained through its steps as <paramref name="gradient"/> says.</summary>
    /// <param name="steps">Gradient steps (positive).</param>
    /// <param name="initialStepSize">The step size before training (positive).</param>
    /// <param name="anchor">Weight of the pull towards the starting state (non-negative).</param>
    /// <param name="gradient">How training differentiates through the steps.</param>
    /// <param name="name">Module name.</param>
    public LearnedContextRefinement(int steps, double initialStepSize, double anchor, AdaptationGradient gradient, string name = "refinement")
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialStepSize);
        ArgumentOutOfRangeException.ThrowIfNegative(anchor);
        Steps = steps;
        Anchor = anchor;
        Gradient = gradient;
        logStepSize = new Parameter(tensor((float)Math.Log(initialStepSize)));
        RegisterComponents();
    }

    /// <summary>Gradient steps.</summary>
    public int Steps { get; }

    /// <summary>Weight of the pull towards the starting state.</summary>
    public double Anchor { get; }

    /// <summary>How training differentiates through the steps.</summary>
    public AdaptationGradient Gradient { get; }

    /// <summary>Refines states; see <see cref="ContextRefinement.Refine(Tensor, Func{Tensor, Tensor}, Tensor, Tensor, double, int, bool, AdaptationGradient)"/>.</summary>
    /// <param name="start">Starting states [B, S].</param>
    /// <param name="contextMargins">Margins of every context pair for states [B, S]: [B, K].</param>
    /// <param name="weights">Pair weights times the mask [B, K].</param>
    /// <param name="differentiable">Keep the graph (training) or detach each step (adapting users).</param>
    /// <returns>[B, S].</returns>
    public Tensor Refine(Tensor start, Func<Tensor, Tensor> contextMargins, Tensor weights, bool differentiable) =>
        ContextRefinement.Refine(start, contextMargins, weights, logStepSize.exp(), Anchor, Steps, differentiable, Gradient);

    /// <summary>Whether context pairs' projection must stay in the graph (<see cref="PackedContextPairs"/>): training that differentiates through a step needs it.</summary>
    /// <param name="differentiable">Training (true) or adapting users.</param>
    /// <returns>Whether to track the projection.</returns>
    internal bool TracksProjection(bool differentiable) => differentiable && Gradient != AdaptationGradient.FirstOrder;
}
