namespace Pluralistic;

/// <summary>
/// What each record of a <see cref="PreferenceDataset"/> compared, when the pairs were built from a catalogue of items:
/// the ids of the chosen and the rejected item and, when the pairs came from ratings, the two ratings. Aligned with a
/// dataset's records by index (<see cref="Select"/> follows a dataset's <see cref="PreferenceDataset.Select"/>).
/// </summary>
/// <remarks>
/// Models never read item ids: they see vectors. Ids serve evaluation — splits that keep a user's held-out items out of
/// that user's training pairs, and reference rows such as an item's mean rating. Where records come from is not this
/// type's concern (JSONL files carry them as extension keys; see <c>PreferenceJsonl.ReadItemsAsync</c>).
/// </remarks>
public sealed class PreferenceItems
{
    private readonly string?[] _chosen;
    private readonly string?[] _rejected;
    private readonly double[] _chosenRatings;
    private readonly double[] _rejectedRatings;

    /// <summary>Creates per-record items.</summary>
    /// <param name="chosenItems">Per record, the chosen item's id (<see langword="null"/> where unknown).</param>
    /// <param name="rejectedItems">Per record, the rejected item's id (<see langword="null"/> where unknown).</param>
    /// <param name="chosenRatings">Per record, the user's rating of the chosen item (NaN where unknown); <see langword="null"/> when none is known.</param>
    /// <param name="rejectedRatings">Per record, the user's rating of the rejected item (NaN where unknown); <see langword="null"/> when none is known.</param>
    /// <exception cref="ArgumentException">The arrays differ in length, or an item id is empty.</exception>
    public PreferenceItems(string?[] chosenItems, string?[] rejectedItems, double[]? chosenRatings = null, double[]? rejectedRatings = null)
    {
        ArgumentNullException.ThrowIfNull(chosenItems);
        ArgumentNullException.ThrowIfNull(rejectedItems);
        var count = chosenItems.Length;
        chosenRatings ??= Missing(count);
        rejectedRatings ??= Missing(count);
        if (rejectedItems.Length != count || chosenRatings.Length != count || rejectedRatings.Length != count)
        {
            throw new ArgumentException($"every per-record array needs {count} entries (got {rejectedItems.Length} rejected ids, {chosenRatings.Length} and {rejectedRatings.Length} ratings)", nameof(rejectedItems));
        }

        if (chosenItems.Concat(rejectedItems).Any(id => id is { Length: 0 }))
        {
            throw new ArgumentException("an item id is empty", nameof(chosenItems));
        }

        _chosen = chosenItems;
        _rejected = rejectedItems;
        _chosenRatings = chosenRatings;
        _rejectedRatings = rejectedRatings;
    }

    /// <summary>The number of records.</summary>
    public int Count => _chosen.Length;

    /// <summary>Whether any record names both of its items.</summary>
    public bool HasItems => Enumerable.Range(0, Count).Any(HasItemsAt);

    /// <summary>Whether every record that names both items also carries both ratings (and at least one does).</summary>
    public bool HasRatings => HasItems && Enumerable.Range(0, Count).Where(HasItemsAt).All(HasRatingsAt);

    /// <summary>The chosen item of record <paramref name="index"/>, or <see langword="null"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The item id.</returns>
    public string? ChosenItem(int index) => _chosen[index];

    /// <summary>The rejected item of record <paramref name="index"/>, or <see langword="null"/>.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The item id.</returns>
    public string? RejectedItem(int index) => _rejected[index];

    /// <summary>The rating of the chosen item of record <paramref name="index"/>, or NaN.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The rating.</returns>
    public double ChosenRating(int index) => _chosenRatings[index];

    /// <summary>The rating of the rejected item of record <paramref name="index"/>, or NaN.</summary>
    /// <param name="index">The record.</param>
    /// <returns>The rating.</returns>
    public double RejectedRating(int index) => _rejectedRatings[index];

    /// <summary>Whether record <paramref name="index"/> names both of its items.</summary>
    /// <param name="index">The record.</param>
    /// <returns>True when both ids are known.</returns>
    public bool HasItemsAt(int index) => _chosen[index] is not null && _rejected[index] is not null;

    /// <summary>Whether record <paramref name="index"/> carries both ratings.</summary>
    /// <param name="index">The record.</param>
    /// <returns>True when both ratings are known.</returns>
    public bool HasRatingsAt(int index) => !double.IsNaN(_chosenRatings[index]) && !double.IsNaN(_rejectedRatings[index]);

    /// <summary>The items of the given records, in the given order (as <see cref="PreferenceDataset.Select"/>).</summary>
    /// <param name="indices">Record indices; may repeat.</param>
    /// <returns>The subset.</returns>
    public PreferenceItems Select(ReadOnlySpan<int> indices)
    {
        var chosen = new string?[indices.Length];
        var rejected = new string?[indices.Length];
        var chosenRatings = new double[indices.Length];
        var rejectedRatings = new double[indices.Length];
        for (var j = 0; j < indices.Length; j++)
        {
            var i = indices[j];
            chosen[j] = _chosen[i];
            rejected[j] = _rejected[i];
            chosenRatings[j] = _chosenRatings[i];
            rejectedRatings[j] = _rejectedRatings[i];
        }

        return new PreferenceItems(chosen, rejected, chosenRatings, rejectedRatings);
    }

    /// <summary>The same records with chosen and rejected swapped (as <see cref="PreferenceDataset.WithLabelsFlipped"/>).</summary>
    /// <returns>The flipped items.</returns>
    public PreferenceItems WithLabelsFlipped() => new(_rejected, _chosen, _rejectedRatings, _chosenRatings);

    private static double[] Missing(int count)
    {
        var values = new double[count];
        Array.Fill(values, double.NaN);
        return values;
    }
}
