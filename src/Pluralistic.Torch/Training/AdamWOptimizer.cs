using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// AdamW (decoupled weight decay) with parameter groups whose learning rates the schedule sets every step. It
/// performs TorchSharp's <c>optim.AdamW</c> update op for op, so training is bit-for-bit what it was, but every number
/// goes to libtorch as a Scalar that stays referenced until the op returns: TorchSharp's own AdamW creates about eight
/// temporary Scalars per parameter per step, each exposed to the finalizer race described in docs/architecture.md.
/// </summary>
internal sealed class AdamWOptimizer : IDisposable
{
    private readonly Group[] groups;
    private readonly double beta1;
    private readonly double beta2;
    private readonly double epsilon;

    /// <summary>Creates the optimiser; moment estimates start at zero.</summary>
    /// <param name="parameterGroups">Parameters with their peak learning rates and weight decays.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public AdamWOptimizer(IEnumerable<ParameterGroup> parameterGroups, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameterGroups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        using var noGrad = no_grad();
        groups = parameterGroups
            .Select(g => new Group(
                g.Parameters.Select(p => new Slot(p, zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope())).ToArray(),
                g.LearningRate,
                g.WeightDecay))
            .ToArray();
    }

    /// <summary>Number of parameter groups.</summary>
    public int GroupCount => groups.Length;

    /// <summary>Sets a group's learning rate for the following steps.</summary>
    /// <param name="group">0-based group index.</param>
    /// <param name="learningRate">The rate.</param>
    public void SetLearningRate(int group, double learningRate) => groups[group].LearningRate = learningRate;

    /// <summary>Zeroes every gradient that exists (like TorchSharp's <c>zero_grad</c>, which keeps the tensors).</summary>
    public void ZeroGrad()
    {
        foreach (var slot in groups.SelectMany(g => g.Slots))
        {
            using var grad = slot.Parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var firstDecay = beta1.ToScalar();
        using var firstWeight = (1 - beta1).ToScalar();
        using var secondDecay = beta2.ToScalar();
        using var secondWeight = (1 - beta2).ToScalar();
        using var eps = epsilon.ToScalar();
        var one = ScalarCache.Of(1L);
        foreach (var group in groups)
        {
            using var shrink = (1 - (group.LearningRate * group.WeightDecay)).ToScalar();
            foreach (var slot in group.Slots)
            {
                var grad = slot.Parameter.grad;
                if (grad is null)
                {
                    continue;
                }

                // Bias corrections count this parameter's own updates, as TorchSharp's AdamW does.
                slot.Steps++;
                var correction1 = 1 - Math.Pow(beta1, slot.Steps);
                var correction2 = 1 - Math.Pow(beta2, slot.Steps);
                using var correction = Math.Sqrt(correction2).ToScalar();
                using var stepSize = (-group.LearningRate / correction1).ToScalar();
                slot.Parameter.mul_(shrink);
                slot.FirstMoment.mul_(firstDecay).add_(grad, firstWeight);
                slot.SecondMoment.mul_(secondDecay).addcmul_(grad, grad, secondWeight);
                var denominator = slot.SecondMoment.sqrt().div(correction).add_(eps, one);
                slot.Parameter.addcdiv_(slot.FirstMoment, denominator, stepSize);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var slot in groups.SelectMany(g => g.Slots))
        {
            slot.FirstMoment.Dispose();
            slot.SecondMoment.Dispose();
        }
    }

    private sealed class Slot(Parameter parameter, Tensor firstMoment, Tensor secondMoment)
    {
        public Parameter Parameter { get; } = parameter;

        public Tensor FirstMoment { get; } = firstMoment;

        public Tensor SecondMoment { get; } = secondMoment;

        public long Steps { get; set; }
    }

    private sealed class Group(Slot[] slots, double learningRate, double weightDecay)
    {
        public Slot[] Slots { get; } = slots;

        public double LearningRate { get; set; } = learningRate;

        public double WeightDecay { get; } = weightDecay;
    }
}
