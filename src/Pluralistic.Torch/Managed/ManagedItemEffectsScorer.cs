namespace Pluralistic.Torch.Managed;

/// <summary>A managed scorer with the population reward's item effects added to every user's reward of an item.</summary>
/// <param name="inner">The scorer without them.</param>
/// <param name="items">The item effects.</param>
internal sealed class ManagedItemEffectsScorer(IManagedScorer inner, ItemEffects items) : IManagedScorer
{
    /// <inheritdoc />
    public int StateSize => inner.StateSize;

    /// <inheritdoc />
    public long Work(int responses, int users) => inner.Work(responses, users);

    /// <inheritdoc />
    public long MaxWork => inner.MaxWork;

    /// <inheritdoc />
    public void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination)
    {
        inner.ScoreMatrix(responses, prompts, m, states, n, destination);
        if (m == 0)
        {
            return;
        }

        var offsets = ManagedScoring.Rent(m);
        try
        {
            var row = offsets.AsSpan(0, m);
            row.Clear();
            items.Add(responses, responses.Length / m, row);
            for (var r = 0; r < m; r++)
            {
                foreach (ref var value in destination.Slice(r * n, n))
                {
                    value += row[r];
                }
            }
        }
        finally
        {
            ManagedScoring.Return(offsets);
        }
    }
}
