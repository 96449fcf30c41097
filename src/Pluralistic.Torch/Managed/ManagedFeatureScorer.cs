namespace Pluralistic.Torch.Managed;

/// <summary>
/// The managed scorer of methods whose reward is a user-weighted sum of per-response features:
/// <c>r(x; s) = scale * f(x) . s</c> (DPA's objectives, MaxMin's heads), or <c>scale * f(x)</c> for every user when
/// states are empty (the Bradley-Terry baseline). The method supplies f over <c>[response ; prompt]</c> rows. A request
/// large enough is split by rows over the cores once (<see cref="ManagedParallel"/>): f and the users' rewards of a
/// range run on one worker, and the layers inside f do not split again.
/// </summary>
/// <param name="features">f: [M, d + dp] rows to [M, F], row-major.</param>
/// <param name="inputs">d + dp.</param>
/// <param name="count">F.</param>
/// <param name="workPerRow">Multiply-add equivalents of f per row.</param>
/// <param name="stateSize">F, or 0 when every user scores f itself (F = 1).</param>
/// <param name="scale">The factor on every reward.</param>
internal sealed class ManagedFeatureScorer(ManagedFeatureScorer.Map features, int inputs, int count, long workPerRow, int stateSize, float scale = 1f) : IManagedScorer
{
    /// <summary>Per-response features: [M, d + dp] rows to [M, F].</summary>
    /// <param name="rows">[M, d + dp].</param>
    /// <param name="m">M.</param>
    /// <param name="output">Receives [M, F].</param>
    public delegate void Map(ReadOnlySpan<float> rows, int m, Span<float> output);

    /// <inheritdoc />
    public int StateSize => stateSize;

    /// <summary>A scorer whose features are one compiled chain.</summary>
    public static ManagedFeatureScorer Of(ManagedSequence chain, int stateSize, float scale = 1f) =>
        new(chain.Forward, chain.Inputs, chain.Outputs, chain.Work, stateSize, scale);

    /// <inheritdoc />
    public long Work(int responses, int users) => ((long)responses * workPerRow) + ((long)responses * users * Math.Max(stateSize, 1));

    /// <inheritdoc />
    public unsafe void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination)
    {
        var values = ManagedScoring.Rent((long)m * count);
        var rows = ManagedInputs.Rent(responses, prompts, m, inputs, out var rented);
        try
        {
            fixed (float* x = rows)
            fixed (float* s = states)
            fixed (float* y = destination)
            {
                // The request's rows are split over the cores once, features and users' rewards together.
                var (xs, ss, ys, stateLength) = ((nint)x, (nint)s, (nint)y, states.Length);
                ManagedParallel.For(m, ManagedDense.BlockRows, Work(m, n), (first, rowCount) => Score(
                    new ReadOnlySpan<float>((float*)xs + ((long)first * inputs), rowCount * inputs),
                    rowCount,
                    new ReadOnlySpan<float>((float*)ss, stateLength),
                    n,
                    values.AsSpan(first * count, rowCount * count),
                    new Span<float>((float*)ys + ((long)first * n), rowCount * n)));
            }
        }
        finally
        {
            ManagedScoring.Return(values);
            if (rented is not null)
            {
                ManagedScoring.Return(rented);
            }
        }
    }

    private void Score(ReadOnlySpan<float> rows, int m, ReadOnlySpan<float> states, int n, Span<float> values, Span<float> destination)
    {
        features(rows, m, values);
        for (var r = 0; r < m; r++)
        {
            var f = values.Slice(r * count, count);
            for (var u = 0; u < n; u++)
            {
                destination[(r * n) + u] = scale * (stateSize == 0 ? f[0] : System.Numerics.Tensors.TensorPrimitives.Dot(f, states.Slice(u * stateSize, stateSize)));
            }
        }
    }
}
