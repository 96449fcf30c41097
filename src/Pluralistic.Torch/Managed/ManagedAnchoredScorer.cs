using Pluralistic.Torch.Modules;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// The managed form of <see cref="AnchoredMethod.ScoreMatrix"/>: <c>a r_pop(x) + b r_method(x; s) - c r_method(x; cold)</c>
/// with (a, b, c) the last three floats of every state, plus the item's effect once for every user.
/// </summary>
internal sealed class ManagedAnchoredScorer : IManagedScorer
{
    private readonly IManagedScorer _method;
    private readonly ManagedSequence _anchor;
    private readonly float[] _cold;
    private readonly ItemEffects? _items;

    /// <summary>Compiles the anchor beside the method's own managed scorer.</summary>
    /// <param name="method">The method's managed scorer.</param>
    /// <param name="anchor">The population reward's head.</param>
    /// <param name="coldStart">The method's cold-start state.</param>
    /// <param name="items">The population reward's item effects, or <see langword="null"/>.</param>
    public ManagedAnchoredScorer(IManagedScorer method, Mlp anchor, float[] coldStart, ItemEffects? items)
    {
        _method = method;
        _anchor = ManagedSequence.Compile(anchor);
        _cold = coldStart;
        _items = items;
    }

    /// <inheritdoc />
    public int StateSize => _method.StateSize + AnchoredMethod.ExtraColumns;

    /// <inheritdoc />
    public long Work(int responses, int users) => _method.Work(responses, users) + _method.Work(responses, 1) + (responses * _anchor.Work);

    /// <inheritdoc />
    public long MaxWork => _method.MaxWork;

    /// <inheritdoc />
    public void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination)
    {
        var size = _method.StateSize;
        var own = ManagedScoring.Rent((long)n * size);
        var cold = ManagedScoring.Rent(m);
        var population = ManagedScoring.Rent(m);
        var offsets = ManagedScoring.Rent(m);
        var inputs = ManagedInputs.Rent(responses, prompts, m, _anchor.Inputs, out var rented);
        var scratch = ManagedScoring.Rent(2L * m * _anchor.Widest);
        try
        {
            for (var u = 0; u < n; u++)
            {
                states.Slice(u * StateSize, size).CopyTo(own.AsSpan(u * size, size));
            }

            _method.ScoreMatrix(responses, prompts, m, own.AsSpan(0, n * size), n, destination);
            _method.ScoreMatrix(responses, prompts, m, _cold, 1, cold.AsSpan(0, m));
            _anchor.Forward(inputs, m, population.AsSpan(0, m), scratch);
            var effects = offsets.AsSpan(0, m);
            effects.Clear();
            _items?.Add(responses, m == 0 ? 0 : responses.Length / m, effects);
            for (var u = 0; u < n; u++)
            {
                var a = states[(u * StateSize) + size];
                var b = states[(u * StateSize) + size + 1];
                var c = states[(u * StateSize) + size + 2];
                for (var r = 0; r < m; r++)
                {
                    // The item's effect counts once for every user: a times within the population reward, b - c beside it.
                    ref var value = ref destination[(r * n) + u];
                    value = ((population[r] + effects[r]) * a) + (value * b) - (cold[r] * c) + (effects[r] * (b - c));
                }
            }
        }
        finally
        {
            ManagedScoring.Return(own);
            ManagedScoring.Return(cold);
            ManagedScoring.Return(population);
            ManagedScoring.Return(offsets);
            ManagedScoring.Return(scratch);
            if (rented is not null)
            {
                ManagedScoring.Return(rented);
            }
        }
    }
}
