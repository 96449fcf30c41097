namespace Pluralistic;

/// <summary>
/// M candidate responses to score, as row-major vectors (M x dimension), each optionally with the vector of the
/// prompt it answers (M x prompt dimension).
/// </summary>
public sealed class ResponseBatch
{
    /// <summary>Creates a batch from contiguous vectors.</summary>
    /// <param name="responses">Row-major response vectors; length must be a multiple of <paramref name="dimension"/>.</param>
    /// <param name="dimension">Length of each response vector.</param>
    /// <param name="prompts">Row-major prompt vectors, one per response; empty when there are none.</param>
    /// <param name="promptDimension">Length of each prompt vector (0 when none).</param>
    /// <exception cref="ArgumentException">The buffer lengths do not agree with the dimensions, or a value is not finite.</exception>
    public ResponseBatch(ReadOnlyMemory<float> responses, int dimension, ReadOnlyMemory<float> prompts = default, int promptDimension = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegative(promptDimension);
        if (responses.Length % dimension != 0)
        {
            throw new ArgumentException($"responses holds {responses.Length} floats, not a multiple of the dimension {dimension}", nameof(responses));
        }

        Count = responses.Length / dimension;
        if (promptDimension == 0 ? !prompts.IsEmpty : prompts.Length != Count * promptDimension)
        {
            throw new ArgumentException($"prompts must hold one vector of dimension {promptDimension} per response ({Count})", nameof(prompts));
        }

        EnsureFinite(responses.Span, nameof(responses));
        EnsureFinite(prompts.Span, nameof(prompts));
        Responses = responses;
        Dimension = dimension;
        Prompts = prompts;
        PromptDimension = promptDimension;
    }

    /// <summary>The number of responses (M).</summary>
    public int Count { get; }

    /// <summary>The length of each response vector.</summary>
    public int Dimension { get; }

    /// <summary>Row-major response vectors (M x <see cref="Dimension"/>).</summary>
    public ReadOnlyMemory<float> Responses { get; }

    /// <summary>Row-major prompt vectors (M x <see cref="PromptDimension"/>); empty when none.</summary>
    public ReadOnlyMemory<float> Prompts { get; }

    /// <summary>The length of each prompt vector, 0 when none.</summary>
    public int PromptDimension { get; }

    /// <summary>Creates a batch of responses that all answer the same prompt (or no prompt).</summary>
    /// <param name="responses">The response vectors, all of one length.</param>
    /// <param name="prompt">The shared prompt vector, or <see langword="null"/>.</param>
    /// <returns>The batch.</returns>
    public static ResponseBatch FromVectors(IReadOnlyList<float[]> responses, float[]? prompt = null)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (responses.Count == 0)
        {
            throw new ArgumentException("at least one response is required", nameof(responses));
        }

        var d = responses[0].Length;
        var buffer = new float[responses.Count * d];
        for (var i = 0; i < responses.Count; i++)
        {
            if (responses[i].Length != d)
            {
                throw new DimensionMismatchException($"response {i}", d, responses[i].Length);
            }

            responses[i].CopyTo(buffer, i * d);
        }

        if (prompt is null)
        {
            return new ResponseBatch(buffer, d);
        }

        var prompts = new float[responses.Count * prompt.Length];
        for (var i = 0; i < responses.Count; i++)
        {
            prompt.CopyTo(prompts, i * prompt.Length);
        }

        return new ResponseBatch(buffer, d, prompts, prompt.Length);
    }

    private static void EnsureFinite(ReadOnlySpan<float> values, string name)
    {
        var bad = values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad >= 0)
        {
            throw new ArgumentException($"{name}[{bad}] is {values[bad]}; NaN and Infinity are not allowed", name);
        }
    }
}
