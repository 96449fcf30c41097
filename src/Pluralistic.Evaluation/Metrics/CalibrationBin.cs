namespace Pluralistic.Evaluation;

/// <summary>
/// One bin of the reliability diagram: the records whose confidence <c>max(p, 1 - p)</c> falls in
/// [<see cref="Lower"/>, <see cref="Upper"/>) (the last bin also holds its upper edge).
/// </summary>
/// <param name="Lower">The lower edge of the bin.</param>
/// <param name="Upper">The upper edge of the bin.</param>
/// <param name="Count">The number of records in the bin.</param>
/// <param name="MeanConfidence">The mean confidence of those records; <see langword="null"/> when the bin is empty.</param>
/// <param name="Accuracy">
/// The fraction of those records whose predicted side (<c>p &gt; 0.5</c>: chosen) is the chosen response;
/// <see langword="null"/> when the bin is empty.
/// </param>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double? MeanConfidence, double? Accuracy);
