using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// Encodes a variable-size set (a user's context pairs) as one vector: multi-head self-attention across the set
/// with a residual connection and layer norm, a position-wise feed-forward block, then masked mean pooling.
/// Padding items (mask 0) neither attend nor are pooled; an empty set pools to zeros.
/// </summary>
public sealed class SetEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly LayerNorm norm1;
    private readonly Mlp feedForward;
    private readonly LayerNorm norm2;
    private readonly int heads;

    /// <summary>Creates the encoder.</summary>
    /// <param name="features">Item width (divisible by <paramref name="heads"/>).</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="feedForwardHidden">Hidden width of the feed-forward block.</param>
    /// <param name="name">Module name.</param>
    public SetEncoder(int features, int heads = 4, int feedForwardHidden = 0, string name = "set_encoder")
        : base(name)
    {
        if (features % heads != 0)
        {
            throw new ArgumentException($"features ({features}) must be divisible by heads ({heads})", nameof(heads));
        }

        this.heads = heads;
        Features = features;
        query = nn.Linear(features, features);
        key = nn.Linear(features, features);
        value = nn.Linear(features, features);
        output = nn.Linear(features, features);
        norm1 = nn.LayerNorm(features);
        feedForward = new Mlp(features, [feedForwardHidden > 0 ? feedForwardHidden : 2 * features], features, Activation.Gelu, name: "ffn");
        norm2 = nn.LayerNorm(features);
        RegisterComponents();
    }

    /// <summary>Item and output width.</summary>
    public int Features { get; }

    /// <summary>Encodes sets.</summary>
    /// <param name="items">[B, K, F].</param>
    /// <param name="mask">[B, K], 1 for real items and 0 for padding.</param>
    /// <returns>[B, F].</returns>
    public override Tensor forward(Tensor items, Tensor mask)
    {
        var b = items.shape[0];
        var k = items.shape[1];
        var dh = Features / heads;
        Tensor Split(Tensor x) => x.view(b, k, heads, dh).transpose(1, 2);
        var q = Split(query.call(items));
        var kk = Split(key.call(items));
        var v = Split(value.call(items));

        // Additive mask: padding keys get a large negative score (not -inf, so an all-padding row stays finite).
        var keyMask = mask.sub(ScalarCache.Of(1)).mul(ScalarCache.Of(1e9)).view(b, 1, 1, k);
        var scores = q.matmul(kk.transpose(-2, -1)).div(ScalarCache.Of(Math.Sqrt(dh))).Plus(keyMask);
        var attended = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(b, k, Features);
        var h = norm1.call(items.Plus(output.call(attended)));
        h = norm2.call(h.Plus(feedForward.call(h)));

        var weights = mask.unsqueeze(-1);
        return (h * weights).sum(1).div(weights.sum(1).clamp_min(ScalarCache.Of(1)));
    }
}
