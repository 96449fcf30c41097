namespace Pluralistic.Evaluation;

/// <summary>The metrics of the records of one evaluation group (the <c>group</c> label of the records).</summary>
/// <param name="Count">The number of records of the group.</param>
/// <param name="Users">The number of distinct users among those records.</param>
/// <param name="Accuracy">Strict accuracy: the fraction with <c>p_chosen &gt; 0.5</c>.</param>
/// <param name="LogLoss">Mean negative log-likelihood of the chosen response winning.</param>
public sealed record GroupMetrics(int Count, int Users, double Accuracy, double LogLoss);
