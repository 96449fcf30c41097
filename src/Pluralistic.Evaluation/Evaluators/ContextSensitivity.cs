namespace Pluralistic.Evaluation;

/// <summary>
/// Whether a model reads a user's context: compare predictions after adapting from the context and after adapting
/// from the same context with every label flipped.
/// </summary>
public static class ContextSensitivity
{
    /// <summary>
    /// The fraction of records whose predicted side (<c>p_chosen &gt; 0.5</c>) differs between two sets of predictions
    /// of the same records.
    /// </summary>
    /// <param name="original">Predictions after adapting from the context.</param>
    /// <param name="flipped">Predictions of the same records after adapting from the flipped context.</param>
    /// <returns>A fraction in [0, 1]: 0 for a model that ignores its users.</returns>
    /// <exception cref="ArgumentException">The counts differ or are 0.</exception>
    public static double SideFlipFraction(PairPredictions original, PairPredictions flipped)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(flipped);
        if (original.Count != flipped.Count || original.Count == 0)
        {
            throw new ArgumentException($"expected two non-empty sets of predictions of the same records, got {original.Count} and {flipped.Count}", nameof(flipped));
        }

        var flips = 0;
        for (var i = 0; i < original.Count; i++)
        {
            flips += (original.ProbabilityChosen(i) > 0.5) != (flipped.ProbabilityChosen(i) > 0.5) ? 1 : 0;
        }

        return (double)flips / original.Count;
    }
}
