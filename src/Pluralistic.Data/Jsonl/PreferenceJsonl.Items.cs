using System.Globalization;
using System.Text.Json;

namespace Pluralistic.Data;

/// <summary>
/// The extension keys that name what a record compared, when its pairs were built from a catalogue of rated items
/// (<c>pluralistic import ratings</c> writes them). Models never read them; evaluation does (item-disjoint splits,
/// reference rows).
/// </summary>
public static class PreferenceItemKeys
{
    /// <summary>The chosen item's id (a string or a number).</summary>
    public const string ItemChosen = "item_chosen";

    /// <summary>The rejected item's id (a string or a number).</summary>
    public const string ItemRejected = "item_rejected";

    /// <summary>The user's rating of the chosen item (a number).</summary>
    public const string RatingChosen = "rating_chosen";

    /// <summary>The user's rating of the rejected item (a number).</summary>
    public const string RatingRejected = "rating_rejected";
}

/// <summary>Reading the item keys of a file alongside a dataset loaded from it.</summary>
public static partial class PreferenceJsonl
{
    /// <summary>
    /// Reads the item ids and ratings (<see cref="PreferenceItemKeys"/>) of the records of a dataset loaded from
    /// <paramref name="path"/>, aligned with the dataset's records by their source lines (so a load that skipped bad
    /// lines still lines up).
    /// </summary>
    /// <param name="path">The JSONL file the dataset was loaded from.</param>
    /// <param name="dataset">The dataset loaded from it.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The items, or <see langword="null"/> when no record of the dataset carries an item id or a rating.</returns>
    /// <exception cref="InvalidPreferenceDataException">An item id is not a string or a number, or a rating is not a finite number (names file and line).</exception>
    public static async Task<PreferenceItems?> ReadItemsAsync(string path, PreferenceDataset dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var wanted = new Dictionary<long, int>(dataset.Count);
        for (var i = 0; i < dataset.Count; i++)
        {
            wanted[dataset.LineAt(i)] = i;
        }

        var chosen = new string?[dataset.Count];
        var rejected = new string?[dataset.Count];
        var chosenRatings = new double[dataset.Count];
        var rejectedRatings = new double[dataset.Count];
        Array.Fill(chosenRatings, double.NaN);
        Array.Fill(rejectedRatings, double.NaN);
        var any = false;
        await foreach (var (line, record, error) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            // A line the load skipped is not in the dataset; nothing to align.
            if (error is not null || record!.ExtensionData is not { } keys || !wanted.TryGetValue(line, out var i))
            {
                continue;
            }

            chosen[i] = ItemId(keys, PreferenceItemKeys.ItemChosen, path, line);
            rejected[i] = ItemId(keys, PreferenceItemKeys.ItemRejected, path, line);
            chosenRatings[i] = Rating(keys, PreferenceItemKeys.RatingChosen, path, line);
            rejectedRatings[i] = Rating(keys, PreferenceItemKeys.RatingRejected, path, line);
            any |= chosen[i] is not null || rejected[i] is not null || !double.IsNaN(chosenRatings[i]) || !double.IsNaN(rejectedRatings[i]);
        }

        return any ? new PreferenceItems(chosen, rejected, chosenRatings, rejectedRatings) : null;
    }

    private static string? ItemId(Dictionary<string, JsonElement> keys, string key, string path, long line)
    {
        if (!keys.TryGetValue(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var id = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new InvalidPreferenceDataException(PreferenceDataError.InvalidValue, $"'{key}' must be a string or a number (an item id)", path, line + 1),
        };
        return string.IsNullOrEmpty(id)
            ? throw new InvalidPreferenceDataException(PreferenceDataError.InvalidValue, $"'{key}' is empty", path, line + 1)
            : id;
    }

    private static double Rating(Dictionary<string, JsonElement> keys, string key, string path, long line)
    {
        if (!keys.TryGetValue(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return double.NaN;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var rating) && double.IsFinite(rating)
            ? rating
            : throw new InvalidPreferenceDataException(
                PreferenceDataError.InvalidValue,
                string.Create(CultureInfo.InvariantCulture, $"'{key}' must be a finite number (a rating), got {value.GetRawText()}"),
                path,
                line + 1);
    }
}
