namespace Pluralistic.Torch.Managed;

/// <summary>The input rows of heads over <c>[response ; prompt]</c>: the responses themselves without prompts, else concatenated rows in rented scratch.</summary>
internal static class ManagedInputs
{
    /// <summary>Rows of [response ; prompt].</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] (empty without prompts).</param>
    /// <param name="m">M.</param>
    /// <param name="width">d + dp.</param>
    /// <param name="rented">The scratch to return with <see cref="ManagedScoring.Return"/>, or <see langword="null"/>.</param>
    /// <returns>[M, d + dp].</returns>
    public static ReadOnlySpan<float> Rent(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, int width, out float[]? rented)
    {
        if (prompts.IsEmpty)
        {
            rented = null;
            return responses[..(m * width)];
        }

        var d = responses.Length / m;
        var dp = prompts.Length / m;
        rented = ManagedScoring.Rent((long)m * width);
        for (var r = 0; r < m; r++)
        {
            responses.Slice(r * d, d).CopyTo(rented.AsSpan(r * width, d));
            prompts.Slice(r * dp, dp).CopyTo(rented.AsSpan((r * width) + d, dp));
        }

        return rented.AsSpan(0, m * width);
    }
}
