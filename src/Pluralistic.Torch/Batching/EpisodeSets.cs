using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Episodes as tensors: each episode's context pairs and query pairs as padded sets ([B, K, d] and [B, Q, d]) with
/// masks. Made by <see cref="PairTensors.GatherEpisodes"/> inside a dispose scope.
/// </summary>
/// <param name="ContextChosen">Chosen vectors of the context pairs [B, K, d].</param>
/// <param name="ContextRejected">Rejected vectors of the context pairs [B, K, d].</param>
/// <param name="ContextPrompts">Prompts of the context pairs [B, K, dp], or <see langword="null"/>.</param>
/// <param name="ContextMask">1 for a real context pair, 0 for padding [B, K].</param>
/// <param name="QueryChosen">Chosen vectors of the queries [B, Q, d].</param>
/// <param name="QueryRejected">Rejected vectors of the queries [B, Q, d].</param>
/// <param name="QueryPrompts">Prompts of the queries [B, Q, dp], or <see langword="null"/>.</param>
/// <param name="QueryMask">1 for a real query, 0 for padding [B, Q].</param>
/// <param name="QueryWeights">Example weight of each query times its mask [B, Q].</param>
public sealed record EpisodeSets(
    Tensor ContextChosen,
    Tensor ContextRejected,
    Tensor? ContextPrompts,
    Tensor ContextMask,
    Tensor QueryChosen,
    Tensor QueryRejected,
    Tensor? QueryPrompts,
    Tensor QueryMask,
    Tensor QueryWeights)
{
    /// <summary>Episodes (rows).</summary>
    public long Users => ContextMask.shape[0];

    /// <summary>
    /// The same episodes with chosen and rejected swapped in both the context and the queries of the episodes marked
    /// <paramref name="mirror"/>: "mirrored users" who hold the opposite of every preference. A model can only fit
    /// mirrored and real users together by reading the context. Call inside a dispose scope.
    /// </summary>
    /// <param name="mirror">Per episode, whether to mirror it.</param>
    /// <returns>The mirrored episodes (this instance when none is mirrored).</returns>
    public EpisodeSets Mirrored(IReadOnlyList<bool> mirror)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        if (mirror.Count != Users)
        {
            throw new ArgumentException($"expected one flag per episode ({Users}), got {mirror.Count}", nameof(mirror));
        }

        if (!mirror.Any(m => m))
        {
            return this;
        }

        var flip = tensor(mirror.ToArray(), device: ContextMask.device).view(-1, 1, 1);
        return this with
        {
            ContextChosen = where(flip, ContextRejected, ContextChosen),
            ContextRejected = where(flip, ContextChosen, ContextRejected),
            QueryChosen = where(flip, QueryRejected, QueryChosen),
            QueryRejected = where(flip, QueryChosen, QueryRejected),
        };
    }
}
