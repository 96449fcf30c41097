namespace Pluralistic.Evaluation;

/// <summary>
/// Picks the strength of an L2 prior for <see cref="LogisticFit"/> by held-out log-loss, from a grid of 0.01 to 100 in
/// units of the mean squared length of a difference vector (so that 1 weighs about as much as one typical pair).
/// </summary>
internal static class PriorSelection
{
    private static readonly double[] Grid = [100, 30, 10, 3, 1, 0.3, 0.1, 0.03, 0.01];

    /// <summary>The weakest prior of the grid (for data too small to hold any pairs out).</summary>
    public static double Weakest => Grid[^1];

    /// <summary>The grid's strength (times <paramref name="unit"/> when fitting) with the lowest held-out log-loss summed over the splits.</summary>
    public static double Select(DifferenceRows rows, (int[] Fit, int[] Held)[] splits, float[] prior, double unit, CancellationToken cancellationToken)
    {
        var best = (Loss: double.PositiveInfinity, Strength: Grid[0]);
        var starts = new float[splits.Length][];
        foreach (var strength in Grid)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var loss = 0.0;
            for (var s = 0; s < splits.Length; s++)
            {
                // From strong to weak priors, each fit starts from the last: a warm start saves most of the steps.
                starts[s] = LogisticFit.Fit(rows, splits[s].Fit, prior, strength * unit, starts[s]);
                loss += LogisticFit.MeanLogLoss(rows, splits[s].Held, starts[s]) * splits[s].Held.Length;
            }

            if (loss < best.Loss)
            {
                best = (loss, strength);
            }
        }

        return best.Strength;
    }

    /// <summary>The mean squared length of the rows' difference vectors (1 when they are all zero).</summary>
    public static double Unit(DifferenceRows rows)
    {
        var unit = Enumerable.Range(0, rows.Count).Average(i => VectorMath.Dot(rows.Row(i), rows.Row(i)));
        return unit > 0 ? unit : 1;
    }
}
