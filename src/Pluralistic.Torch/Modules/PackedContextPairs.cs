using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// Padded sets of context pairs [B, K] prepared for repeated scoring under changing conditions (adaptation steps):
/// the pairs with a weight (padding and zero-weight pairs left out) are projected by the head's condition-independent
/// first layer once, and each step only combines them with their user's condition. Padding contributes nothing to
/// the context loss, so leaving it out changes no result beyond float rounding, and a batch of contexts of 2..20 pairs
/// costs its real pairs rather than B x 20.
/// </summary>
internal sealed class PackedContextPairs
{
    private readonly ConditionedRewardHead head;
    private readonly Tensor kept;
    private readonly Tensor users;
    private readonly Tensor projected;
    private readonly Tensor empty;

    /// <summary>Packs and projects the pairs.</summary>
    /// <param name="head">The reward head.</param>
    /// <param name="chosenInputs">[B, K, in].</param>
    /// <param name="rejectedInputs">[B, K, in].</param>
    /// <param name="weights">Pair weights times the mask [B, K]; pairs of weight 0 are left out.</param>
    /// <param name="trackProjection">
    /// Keep the projection in the autograd graph (training that differentiates through a step differentiates it with
    /// respect to the head); otherwise it is computed without a graph, as adapting users and first-order training need.
    /// </param>
    public PackedContextPairs(ConditionedRewardHead head, Tensor chosenInputs, Tensor rejectedInputs, Tensor weights, bool trackProjection)
    {
        this.head = head;
        var b = weights.shape[0];
        var k = (int)weights.shape[1];
        using (no_grad())
        {
            // Which flattened [B x K] positions carry weight, and whose they are (a small mask, read on the host).
            var mask = weights.reshape(-1).cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            var positions = new List<int>(mask.Length);
            var owners = new List<int>(mask.Length);
            for (var i = 0; i < mask.Length; i++)
            {
                if (mask[i] != 0)
                {
                    positions.Add(i);
                    owners.Add(i / k);
                }
            }

            kept = PairTensors.IndexTensor(positions.ToArray(), weights.device);
            users = PairTensors.IndexTensor(owners.ToArray(), weights.device);
        }

        var features = chosenInputs.shape[^1];
        using (trackProjection ? null : no_grad())
        {
            projected = head.ProjectPairs(chosenInputs.reshape(b * k, features).index_select(0, kept), rejectedInputs.reshape(b * k, features).index_select(0, kept));
        }

        empty = zeros_like(weights);
    }

    /// <summary>Margins r(chosen | c) - r(rejected | c) of every context pair under its user's condition.</summary>
    /// <param name="conditions">One condition per user [B, c].</param>
    /// <returns>[B, K], 0 where a pair was left out.</returns>
    public Tensor Margins(Tensor conditions) =>
        empty.reshape(-1).index_copy(0, kept, head.Margins(projected, conditions.index_select(0, users))).view_as(empty);
}
