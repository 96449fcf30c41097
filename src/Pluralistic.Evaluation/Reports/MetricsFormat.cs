using System.Globalization;

namespace Pluralistic.Evaluation;

/// <summary>Culture-independent formatting of metric values for reports.</summary>
public static class MetricsFormat
{
    /// <summary>What a missing (or non-finite) value prints as.</summary>
    public const string Missing = "—";

    /// <summary>A fraction as a percentage, e.g. 0.7342 -> "73.4%".</summary>
    /// <param name="value">The fraction, or <see langword="null"/>.</param>
    /// <param name="decimals">Decimals of the percentage.</param>
    /// <returns>The text.</returns>
    public static string Percent(double? value, int decimals = 1) =>
        value is { } v && double.IsFinite(v) ? (v * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%" : Missing;

    /// <summary>A number with a fixed number of decimals, e.g. 0.41234 -> "0.412".</summary>
    /// <param name="value">The number, or <see langword="null"/>.</param>
    /// <param name="decimals">Decimals.</param>
    /// <returns>The text.</returns>
    public static string Number(double? value, int decimals = 3) =>
        value is { } v && double.IsFinite(v) ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : Missing;

    /// <summary>A count with thousands separators, e.g. 12345 -> "12,345".</summary>
    /// <param name="value">The count.</param>
    /// <returns>The text.</returns>
    public static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
