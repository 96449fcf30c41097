namespace Pluralistic.Torch.Modules;

/// <summary>How training differentiates through the adaptation steps that fit a user's state to their context.</summary>
public enum AdaptationGradient
{
    /// <summary>Through every step (the steps' gradients depend on the network, so the backward pass is second-order).</summary>
    SecondOrder,

    /// <summary>
    /// Each step's gradient is held constant (first-order, as in first-order MAML): the adapted state has the same value,
    /// its gradient reaches the starting state and the learned step size, and no backward pass runs through the steps.
    /// </summary>
    FirstOrder,

    /// <summary>
    /// First-order through every step but the last, second-order through the last: the head's gradient reaches it
    /// through how the last step moves a state, at the cost of one step's second-order backward pass instead of all.
    /// </summary>
    TruncatedSecondOrder,
}
