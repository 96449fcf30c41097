using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Per-item effects of the population reward on catalogue data: a learned offset for every item the training pairs
/// of at least two users show (an item is its response vector, <see cref="ItemKeys"/>), added to the reward wherever
/// that exact item is scored, and 0 for any other response (a new reply, a new film). Features say what a film is;
/// two films alike in every feature still differ in how well they are made, which only the ratings of the many users
/// who saw them tell. Fitted after the reward's network (<see cref="ItemEffectsFit"/>); its keys and offsets are
/// buffers, so they travel in the run's weights file.
/// </summary>
internal sealed class ItemEffects : nn.Module<Tensor, Tensor>
{
    /// <summary>The submodule name under the population reward.</summary>
    public const string ModuleName = "item_effects";

    // Buffers (saved with the weights): item keys as int64 bit patterns, and their offsets.
    private readonly Tensor keys;
    private readonly Tensor offsets;
    private readonly Lazy<Dictionary<ulong, float>> table;

    /// <summary>Effects for <paramref name="count"/> items, all 0: the shape a saved run's weights are loaded into.</summary>
    /// <param name="count">The number of items.</param>
    public ItemEffects(int count)
        : this(new ulong[count], new float[count])
    {
    }

    /// <summary>Effects of the given items.</summary>
    /// <param name="itemKeys">Item keys.</param>
    /// <param name="itemOffsets">Their offsets (the same length).</param>
    public ItemEffects(ulong[] itemKeys, float[] itemOffsets)
        : base(ModuleName)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(itemOffsets.Length, itemKeys.Length, nameof(itemOffsets));
        Count = itemKeys.Length;
        keys = tensor(itemKeys.Select(k => unchecked((long)k)).ToArray(), [itemKeys.Length], ScalarType.Int64);
        offsets = tensor(itemOffsets, [itemOffsets.Length], ScalarType.Float32);
        RegisterComponents();

        // Read from the buffers on first use, after a saved run's weights have been loaded into them.
        table = new Lazy<Dictionary<ulong, float>>(Table, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The number of items with an effect.</summary>
    public int Count { get; }

    /// <summary>The penalty the effects were fitted with (NaN for effects loaded from a run, which does not record it in the weights).</summary>
    public double Strength { get; init; } = double.NaN;

    /// <summary>The offsets of responses [..., d] as [...] (0 for responses that are no training item).</summary>
    /// <param name="responses">Response vectors.</param>
    /// <returns>Their offsets, on the responses' device.</returns>
    public override Tensor forward(Tensor responses)
    {
        using var scope = NewDisposeScope();
        var d = (int)responses.shape[^1];
        var rows = responses.detach().reshape(-1, d).to(CPU).contiguous();
        var values = rows.data<float>().ToArray();
        var result = new float[values.Length / Math.Max(d, 1)];
        Add(values, d, result);
        return tensor(result, responses.shape.AsSpan(0, responses.shape.Length - 1).ToArray(), ScalarType.Float32, responses.device).MoveToOuterDisposeScope();
    }

    /// <summary>Adds the offset of every response row to <paramref name="rewards"/>.</summary>
    /// <param name="responses">[M, d] row-major.</param>
    /// <param name="dimension">d.</param>
    /// <param name="rewards">[M], added to.</param>
    public void Add(ReadOnlySpan<float> responses, int dimension, Span<float> rewards)
    {
        var lookup = table.Value;
        for (var r = 0; r < rewards.Length; r++)
        {
            if (lookup.TryGetValue(ItemKeys.KeyOf(responses.Slice(r * dimension, dimension)), out var offset))
            {
                rewards[r] += offset;
            }
        }
    }

    private Dictionary<ulong, float> Table()
    {
        var buffers = named_buffers().ToDictionary(b => b.name, b => b.buffer, StringComparer.Ordinal);
        var k = buffers[nameof(keys)].cpu().data<long>().ToArray();
        var o = buffers[nameof(offsets)].cpu().data<float>().ToArray();
        var lookup = new Dictionary<ulong, float>(k.Length);
        for (var i = 0; i < k.Length; i++)
        {
            lookup[unchecked((ulong)k[i])] = o[i];
        }

        return lookup;
    }
}

/// <summary>A population reward that can carry <see cref="ItemEffects"/> (the baseline's network, the anchor).</summary>
internal interface IItemEffectsHost
{
    /// <summary>The effects attached, or <see langword="null"/>.</summary>
    ItemEffects? ItemEffects { get; }

    /// <summary>Registers <paramref name="effects"/> as a submodule and adds them to every reward from now on.</summary>
    /// <param name="effects">The effects.</param>
    void AttachItemEffects(ItemEffects effects);
}

/// <summary>Finding the population reward of a network.</summary>
internal static class ItemEffectsHosts
{
    /// <summary>The population reward of <paramref name="network"/>: its anchor when it has one, else the network itself when it is one.</summary>
    /// <param name="network">A method's network.</param>
    /// <returns>The host, or <see langword="null"/>.</returns>
    public static IItemEffectsHost? PopulationRewardOf(nn.Module network) =>
        (IItemEffectsHost?)PopulationAnchor.Find(network) ?? network as IItemEffectsHost;

    /// <summary>The number of items whose effect the network's population reward carries (0 when none).</summary>
    /// <param name="network">A method's network.</param>
    /// <returns>The count.</returns>
    public static int CountOf(nn.Module network) => PopulationRewardOf(network)?.ItemEffects?.Count ?? 0;
}
