namespace Pluralistic.Torch.Managed;

/// <summary>
/// The managed scorer of methods whose reward is a user-weighted sum of per-response features:
/// <c>r(x; s) = scale * f(x) . s</c> (DPA's objectives, MaxMin's heads), or <c>scale * f(x)</c> for every user when
/// states are empty (the Bradley-Terry baseline). The method supplies f over <c>[response ; prompt]</c> rows. A request
/// large enough is split by rows over the cores once (<see cref="ManagedParallel"/>): f and the users' rewards of a
/// range run on one worker, and the layers inside f do not split again. With 512-bit vectors the dense kernels run
/// f at the core's multiply-add limit, so requests of any size stay here on the CPU (<see cref="MaxWork"/>): libtorch
/// would compute the same f and then a users' product in separate operations.
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
    public long MaxWork => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? long.MaxValue : ManagedScoring.MaxWork;

    /// <inheritdoc />
    public long Work(int responses, int users) => ((long)responses * workPerRow) + ((long)responses * users * Math.Max(stateSize, 1));

    /// <inheritdoc />
    public unsafe void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination)
    {
        var values = ManagedScoring.Rent((long)m * count);
        var rows = ManagedInputs.Rent(responses, prompts, m, inputs, out var rented);
        try
        {
            // The users' rewards f(x) . s_u are one more dense layer whose weights are the states [N, F].
            var users = stateSize == 0 ? null : new ManagedDense(states.ToArray(), null, n, stateSize);
            fixed (float* x = rows)
            fixed (float* y = destination)
            {
                // The request's rows are split over the cores once, features and users' rewards together.
                var (xs, ys) = ((nint)x, (nint)y);
                ManagedParallel.For(m, ManagedDense.BlockRows, Work(m, n), (first, rowCount) => Score(
                    new ReadOnlySpan<float>((float*)xs + ((long)first * inputs), rowCount * inputs),
                    rowCount,
                    users,
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

    private void Score(ReadOnlySpan<float> rows, int m, ManagedDense? users, int n, Span<float> values, Span<float> destination)
    {
        features(rows, m, values);
        if (users is null)
        {
            // Every user scores f itself.
            for (var r = 0; r < m; r++)
            {
                destination.Slice(r * n, n).Fill(scale * values[r * count]);
            }

            return;
        }

        users.Apply(values, m, destination);
        if (scale != 1f)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(destination, scale, destination);
        }
    }
}
