namespace Pluralistic;

/// <summary>
/// Per-record rewards of the chosen and the rejected response, each for the record's own user, and the
/// Bradley-Terry probability that the chosen one wins: <c>p = sigmoid(r_chosen - r_rejected)</c>.
/// </summary>
public sealed class PairPredictions
{
    private readonly float[] _chosen;
    private readonly float[] _rejected;

    /// <summary>Creates the predictions.</summary>
    /// <param name="rewardChosen">Per record, the chosen response's reward.</param>
    /// <param name="rewardRejected">Per record, the rejected response's reward.</param>
    public PairPredictions(float[] rewardChosen, float[] rewardRejected)
    {
        ArgumentNullException.ThrowIfNull(rewardChosen);
        ArgumentNullException.ThrowIfNull(rewardRejected);
        if (rewardChosen.Length != rewardRejected.Length)
        {
            throw new ArgumentException("chosen and rejected rewards differ in length", nameof(rewardRejected));
        }

        _chosen = rewardChosen;
        _rejected = rewardRejected;
    }

    /// <summary>The number of records.</summary>
    public int Count => _chosen.Length;

    /// <summary>Per record, the chosen response's reward.</summary>
    public ReadOnlySpan<float> RewardChosen => _chosen;

    /// <summary>Per record, the rejected response's reward.</summary>
    public ReadOnlySpan<float> RewardRejected => _rejected;

    /// <summary>P(chosen beats rejected) for record <paramref name="index"/>'s user.</summary>
    /// <param name="index">Record.</param>
    /// <returns>A probability in [0, 1].</returns>
    public double ProbabilityChosen(int index) => Sigmoid((double)_chosen[index] - _rejected[index]);

    /// <summary>All probabilities.</summary>
    /// <returns>One per record.</returns>
    public double[] Probabilities()
    {
        var p = new double[Count];
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = ProbabilityChosen(i);
        }

        return p;
    }

    /// <summary>The logistic function, computed stably in double precision.</summary>
    /// <param name="x">Log-odds.</param>
    /// <returns>The probability.</returns>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
