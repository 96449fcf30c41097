using System.Numerics.Tensors;
using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models.Vpl;

/// <summary>
/// VPL's managed forward: the state's mean made a latent (L2-normalised, scaled by sqrt(latent)) conditions the reward
/// head over [x ; prompt]. Models that report win probabilities against a reference set keep libtorch.
/// </summary>
/// <param name="head">The compiled head.</param>
internal sealed class VplManagedScorer(ManagedConditionedHead head) : IManagedScorer
{
    private readonly int _latent = head.ConditionFeatures;

    /// <inheritdoc />
    public int StateSize => 2 * _latent;

    /// <summary>Compiles the network's head, or <see langword="null"/> when rewards are win probabilities.</summary>
    public static IManagedScorer? Create(VplNetwork network) => network.ScalesRewards
        ? null
        : new VplManagedScorer(new ManagedConditionedHead(ManagedSequence.Child<ConditionedRewardHead>(network, "head")));

    /// <inheritdoc />
    public long Work(int responses, int users) => head.Work(responses, users);

    /// <inheritdoc />
    public long MaxWork => head.MaxWork;

    /// <inheritdoc />
    public void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination)
    {
        var latents = ManagedScoring.Rent((long)n * _latent);
        try
        {
            var length = MathF.Sqrt(_latent);
            for (var u = 0; u < n; u++)
            {
                var mean = states.Slice(u * StateSize, _latent);
                TensorPrimitives.Multiply(mean, length / MathF.Max(TensorPrimitives.Norm(mean), 1e-6f), latents.AsSpan(u * _latent, _latent));
            }

            head.Matrix(responses, prompts, m, latents.AsSpan(0, n * _latent), n, destination);
        }
        finally
        {
            ManagedScoring.Return(latents);
        }
    }
}
