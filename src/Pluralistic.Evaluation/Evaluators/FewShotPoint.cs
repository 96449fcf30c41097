using System.Text.Json.Serialization;

namespace Pluralistic.Evaluation;

/// <summary>One point of a few-shot curve: the metrics of the queries after each user was adapted from k pairs.</summary>
/// <param name="ContextPairs">k: the number of context pairs each user was adapted from.</param>
/// <param name="Metrics">The metrics of the queries.</param>
/// <param name="AdaptationTime">Wall-clock time of adapting every user from k pairs.</param>
public sealed record FewShotPoint(int ContextPairs, PreferenceMetrics Metrics, TimeSpan AdaptationTime)
{
    /// <summary>The predictions of the queries (<see cref="FewShotCurve.QueryData"/>), when kept; not serialised.</summary>
    [JsonIgnore]
    public PairPredictions? Predictions { get; init; }

    /// <summary>The strict accuracy on the queries.</summary>
    public double Accuracy => Metrics.Accuracy;

    /// <summary>The log-loss on the queries.</summary>
    public double LogLoss => Metrics.LogLoss;

    /// <summary>The number of queries.</summary>
    public int Count => Metrics.Count;
}
