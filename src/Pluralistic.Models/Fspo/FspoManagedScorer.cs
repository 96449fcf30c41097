using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Fspo;

/// <summary>FSPO's managed forward: the user's summary conditions the reward head over [x ; prompt].</summary>
/// <param name="head">The compiled head.</param>
internal sealed class FspoManagedScorer(ManagedConditionedHead head) : IManagedScorer
{
    /// <inheritdoc />
    public int StateSize => head.ConditionFeatures;

    /// <summary>Compiles the network's head.</summary>
    public static IManagedScorer Create(FspoNetwork network) =>
        new FspoManagedScorer(new ManagedConditionedHead(ManagedSequence.Child<ConditionedRewardHead>(network, "head")));

    /// <inheritdoc />
    public long Work(int responses, int users) => head.Work(responses, users);

    /// <inheritdoc />
    public long MaxWork => head.MaxWork;

    /// <inheritdoc />
    public void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination) =>
        head.Matrix(responses, prompts, m, states[..(n * StateSize)], n, destination);
}
