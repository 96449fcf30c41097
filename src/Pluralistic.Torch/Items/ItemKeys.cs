using System.Runtime.InteropServices;

namespace Pluralistic.Torch;

/// <summary>
/// A key per response vector (FNV-1a over its bytes): equal vectors are the same item. Catalogue data (the same
/// films rated by many users, as <c>import ratings</c> writes) repeats items; fresh responses in every pair do not.
/// </summary>
internal static class ItemKeys
{
    /// <summary>The keys of the chosen and rejected response of every record.</summary>
    /// <param name="data">The records.</param>
    /// <returns>One pair of keys per record.</returns>
    public static (ulong Chosen, ulong Rejected)[] Of(PreferenceDataset data)
    {
        var d = data.ResponseDimension;
        var keys = new (ulong, ulong)[data.Count];
        var chosen = data.ChosenVectors.Span;
        var rejected = data.RejectedVectors.Span;
        for (var i = 0; i < data.Count; i++)
        {
            keys[i] = (KeyOf(chosen.Slice(i * d, d)), KeyOf(rejected.Slice(i * d, d)));
        }

        return keys;
    }

    /// <summary>The key of one response vector.</summary>
    /// <param name="vector">The vector.</param>
    /// <returns>Its FNV-1a hash.</returns>
    public static ulong KeyOf(ReadOnlySpan<float> vector)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in MemoryMarshal.AsBytes(vector))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>
    /// Whether users' pairs repeat items: on average fewer distinct responses than 1.5 per pair within a user (a user
    /// who rated 10 films yields up to 45 pairs over those 10). Fresh responses in every pair give 2 per pair.
    /// </summary>
    /// <param name="data">The records.</param>
    /// <param name="keys">Their keys (<see cref="Of"/>).</param>
    /// <returns>True for catalogue data.</returns>
    public static bool RepeatWithinUsers(PreferenceDataset data, (ulong Chosen, ulong Rejected)[] keys)
    {
        long distinct = 0;
        foreach (var records in data.RecordsByUser())
        {
            distinct += records.SelectMany(r => new[] { keys[r].Chosen, keys[r].Rejected }).Distinct().Count();
        }

        return distinct < 1.5 * data.Count;
    }
}
