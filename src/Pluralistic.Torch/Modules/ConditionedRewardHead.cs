using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// A reward head conditioned on a per-user vector c (a user's summary or latent): an MLP over the input x (response,
/// and prompt when present) whose first layer is split as <c>W_x x + W_c c + b</c> and whose output layer's weights
/// are generated from the condition, <c>r = (V c + w_0) . h(x, c) + b_0</c> — so the condition both shifts the hidden
/// features and chooses how they are weighed (a user-specific linear reward over learned features is one linear map
/// away). Because the condition enters only through <c>W_c c</c> and <c>V c</c>, M inputs are projected once and
/// combined with N conditions by broadcasting: a reward matrix [M, N] costs one projection per input and per
/// condition plus the hidden layers on [M, N, h], computed in chunks of inputs so memory stays bounded.
/// </summary>
public sealed class ConditionedRewardHead : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>The most hidden activations ([rows, conditions, width]) computed at once by <see cref="Matrix"/>.</summary>
    private const long MatrixBudget = 1 << 22;

    private readonly Linear input;
    private readonly Linear condition;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> hidden;
    private readonly Linear output;

    /// <summary>Creates the head.</summary>
    /// <param name="inputs">Input features (response, plus prompt when present).</param>
    /// <param name="conditionFeatures">Condition features.</param>
    /// <param name="hiddenSizes">Hidden widths (at least one).</param>
    /// <param name="activation">Nonlinearity.</param>
    /// <param name="name">Module name.</param>
    public ConditionedRewardHead(int inputs, int conditionFeatures, IReadOnlyList<int> hiddenSizes, Activation activation = Activation.Gelu, string name = "conditioned_head")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(conditionFeatures);
        if (hiddenSizes.Count == 0 || hiddenSizes.Any(h => h <= 0))
        {
            throw new ArgumentException("a conditioned head needs at least one hidden layer, and positive widths", nameof(hiddenSizes));
        }

        InputFeatures = inputs;
        ConditionFeatures = conditionFeatures;
        input = nn.Linear(inputs, hiddenSizes[0]);
        condition = nn.Linear(conditionFeatures, hiddenSizes[0], hasBias: false);
        hidden = new ModuleList<nn.Module<Tensor, Tensor>>();
        hidden.Add(Mlp.Create(activation));
        for (var i = 1; i < hiddenSizes.Count; i++)
        {
            hidden.Add(nn.Linear(hiddenSizes[i - 1], hiddenSizes[i]));
            hidden.Add(Mlp.Create(activation));
        }

        // Output weights w(c) = V c + w_0 and bias b_0, as one linear map from the condition to [weights ; bias].
        output = nn.Linear(conditionFeatures, hiddenSizes[^1] + 1);
        RegisterComponents();
    }

    /// <summary>Input features.</summary>
    public int InputFeatures { get; }

    /// <summary>Condition features.</summary>
    public int ConditionFeatures { get; }

    /// <summary>Rewards with broadcasting over leading dimensions: inputs [..., in] and conditions [..., c] give [...].</summary>
    /// <param name="inputs">[..., in].</param>
    /// <param name="conditions">[..., c], broadcastable against the inputs' leading dimensions.</param>
    /// <returns>Rewards, the broadcast leading shape.</returns>
    public override Tensor forward(Tensor inputs, Tensor conditions) =>
        Finish(input.call(inputs).Plus(condition.call(conditions)), output.call(conditions));

    /// <summary>Every input for every condition: [M, in] x [N, c] -> [M, N], in chunks of inputs.</summary>
    /// <param name="inputs">[M, in].</param>
    /// <param name="conditions">[N, c].</param>
    /// <returns>[M, N] rewards.</returns>
    public Tensor Matrix(Tensor inputs, Tensor conditions)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(conditions);
        var m = inputs.shape[0];
        var n = conditions.shape[0];
        var projectedInputs = input.call(inputs).unsqueeze(1);
        var projectedConditions = condition.call(conditions).unsqueeze(0);
        var outputs = output.call(conditions).unsqueeze(0);
        var width = projectedInputs.shape[^1];
        var rows = Math.Max(1, MatrixBudget / Math.Max(n * width, 1));
        if (rows >= m)
        {
            return Finish(projectedInputs.Plus(projectedConditions), outputs);
        }

        var parts = new List<Tensor>();
        for (long start = 0; start < m; start += rows)
        {
            // Each chunk's [rows, N, h] activations are freed before the next chunk; only its rewards are kept.
            using var scope = NewDisposeScope();
            parts.Add(Finish(projectedInputs.narrow(0, start, Math.Min(rows, m - start)).Plus(projectedConditions), outputs).MoveToOuterDisposeScope());
        }

        return cat(parts, dim: 0);
    }

    /// <summary>The hidden layers on the first layer's pre-activation, then the condition's output weights and bias.</summary>
    private Tensor Finish(Tensor firstLayer, Tensor outputs)
    {
        var h = firstLayer;
        foreach (var layer in hidden)
        {
            h = layer.call(h);
        }

        var width = h.shape[^1];
        return (h * outputs.narrow(-1, 0, width)).sum(-1).Plus(outputs.select(-1, width));
    }
}
