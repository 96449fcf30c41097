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
/// condition plus the hidden layers on [N, M, h], computed in chunks of conditions so memory stays bounded. The same
/// split serves inputs scored repeatedly under changing conditions (adaptation steps): <see cref="Project"/> once,
/// then <see cref="FromProjected"/> or <see cref="Margins"/> per condition.
/// </summary>
public sealed class ConditionedRewardHead : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>The most hidden activations ([conditions, rows, width]) computed at once by <see cref="Matrix"/>: 8 MB, within a shared cache.</summary>
    private const long MatrixBudget = 1 << 21;

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
    public override Tensor forward(Tensor inputs, Tensor conditions) => FromProjected(Project(inputs), conditions);

    /// <summary>
    /// The part of the first layer that does not depend on the condition, <c>W_x x + b</c>: computed once for inputs
    /// that are scored under many conditions (or under a condition that changes, as in adaptation steps), then
    /// combined with each condition by <see cref="FromProjected"/> or <see cref="MatrixFromProjected"/>.
    /// </summary>
    /// <param name="inputs">[..., in].</param>
    /// <returns>[..., first hidden width].</returns>
    public Tensor Project(Tensor inputs) => input.call(inputs);

    /// <summary>Both sides of pairs projected at once (<see cref="Project"/>), for <see cref="Margins"/>.</summary>
    /// <param name="chosenInputs">[..., in].</param>
    /// <param name="rejectedInputs">[..., in], the same shape.</param>
    /// <returns>[2, ..., h]: chosen at index 0, rejected at index 1.</returns>
    public Tensor ProjectPairs(Tensor chosenInputs, Tensor rejectedInputs) => Project(stack([chosenInputs, rejectedInputs]));

    /// <summary>Rewards of projected inputs (<see cref="Project"/>) with broadcasting: [..., h] and [..., c] give [...].</summary>
    /// <param name="projectedInputs">[..., h].</param>
    /// <param name="conditions">[..., c], broadcastable against the inputs' leading dimensions.</param>
    /// <returns>Rewards, the broadcast leading shape.</returns>
    public Tensor FromProjected(Tensor projectedInputs, Tensor conditions)
    {
        ArgumentNullException.ThrowIfNull(projectedInputs);
        ArgumentNullException.ThrowIfNull(conditions);
        return Finish(projectedInputs.Plus(condition.call(conditions)), output.call(conditions));
    }

    /// <summary>
    /// Margins r(chosen | c) - r(rejected | c) of projected pairs: both sides go through the hidden layers in one pass,
    /// and the condition is projected once for both.
    /// </summary>
    /// <param name="projectedPairs">[2, ..., h] (<see cref="ProjectPairs"/>).</param>
    /// <param name="conditions">[..., c], broadcastable against the pairs' leading dimensions (after the first).</param>
    /// <returns>Margins, the broadcast leading shape.</returns>
    public Tensor Margins(Tensor projectedPairs, Tensor conditions)
    {
        var rewards = FromProjected(projectedPairs, conditions);
        return rewards.select(0, 0) - rewards.select(0, 1);
    }

    /// <summary>Every input for every condition: [M, in] x [N, c] -> [M, N], in chunks of conditions.</summary>
    /// <param name="inputs">[M, in].</param>
    /// <param name="conditions">[N, c].</param>
    /// <returns>[M, N] rewards.</returns>
    public Tensor Matrix(Tensor inputs, Tensor conditions) => MatrixFromProjected(Project(inputs), conditions);

    /// <summary>
    /// Every projected input (<see cref="Project"/>) for every condition: [M, h] x [N, c] -> [M, N]. Conditions are
    /// taken in chunks whose [conditions, M, h] activations stay within a fixed budget; each chunk's output layer is a
    /// matrix-vector product per condition with its generated weights, so the weighted activations are never stored.
    /// Without autograd the activations are computed in place.
    /// </summary>
    /// <param name="projectedInputs">[M, h].</param>
    /// <param name="conditions">[N, c].</param>
    /// <returns>[M, N] rewards.</returns>
    public Tensor MatrixFromProjected(Tensor projectedInputs, Tensor conditions)
    {
        ArgumentNullException.ThrowIfNull(projectedInputs);
        ArgumentNullException.ThrowIfNull(conditions);
        var m = projectedInputs.shape[0];
        var n = conditions.shape[0];
        var projectedConditions = condition.call(conditions).unsqueeze(1);
        var outputs = output.call(conditions);
        var width = outputs.shape[1] - 1;
        var weights = outputs.narrow(1, 0, width);
        var biases = outputs.narrow(1, width, 1);
        var rows = projectedInputs.unsqueeze(0);
        var inPlace = !is_grad_enabled();
        var chunk = Math.Max(1, MatrixBudget / Math.Max(m * projectedInputs.shape[1], 1));
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            // Each chunk's [conditions, M, h] activations are freed before the next chunk; only its rewards are kept.
            using var scope = NewDisposeScope();
            var length = Math.Min(chunk, n - start);
            var h = Hidden(projectedConditions.narrow(0, start, length).Plus(rows), inPlace);

            // One matrix-vector product per condition: libtorch's batched product of [c, M, w] by [c, w, 1] is several times slower.
            var rewards = new Tensor[length];
            for (var c = 0; c < length; c++)
            {
                rewards[c] = h[c].mv(weights[start + c]);
            }

            parts.Add(stack(rewards).Plus(biases.narrow(0, start, length)).MoveToOuterDisposeScope());
        }

        return (parts.Count == 1 ? parts[0] : cat(parts, dim: 0)).t();
    }

    /// <summary>The hidden layers on the first layer's pre-activation, then the condition's output weights and bias.</summary>
    private Tensor Finish(Tensor firstLayer, Tensor outputs)
    {
        var h = Hidden(firstLayer, inPlace: false);
        var width = h.shape[^1];
        return (h * outputs.narrow(-1, 0, width)).sum(-1).Plus(outputs.select(-1, width));
    }

    /// <summary>The activations and hidden layers after the first layer's pre-activation.</summary>
    /// <param name="firstLayer">The first layer's pre-activation (overwritten when <paramref name="inPlace"/>).</param>
    /// <param name="inPlace">Apply the activations in place (only without autograd, on a tensor the caller owns).</param>
    private Tensor Hidden(Tensor firstLayer, bool inPlace)
    {
        var h = firstLayer;
        foreach (var layer in hidden)
        {
            h = inPlace ? ActivateInPlace(layer, h) ?? layer.call(h) : layer.call(h);
        }

        return h;
    }

    /// <summary>The activation of <paramref name="layer"/> applied to <paramref name="x"/> in place, or <see langword="null"/> where it has no in-place form here.</summary>
    private static Tensor? ActivateInPlace(nn.Module<Tensor, Tensor> layer, Tensor x) => layer switch
    {
        GELU => x.gelu_(),
        ReLU => x.relu_(),
        Tanh => x.tanh_(),
        _ => null,
    };
}
