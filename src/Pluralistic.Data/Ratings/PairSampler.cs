namespace Pluralistic.Data;

/// <summary>One rating that may join a pair: its position in the caller's list, its prompt group and its value.</summary>
internal readonly record struct PairCandidate(int Index, int Group, double Rating);

/// <summary>How many pairs a set of ratings allows, and how many were taken.</summary>
/// <param name="Comparable">Pairs of ratings within one group (prompt or conversation).</param>
/// <param name="Valid">Comparable pairs whose ratings differ by at least the margin.</param>
/// <param name="Taken">Valid pairs sampled.</param>
internal readonly record struct PairTally(long Comparable, long Valid, long Taken)
{
    public static PairTally operator +(PairTally a, PairTally b) => new(a.Comparable + b.Comparable, a.Valid + b.Valid, a.Taken + b.Taken);
}

/// <summary>
/// Forms preference pairs from one user's ratings: within a group, every two ratings that differ by at least the
/// margin, the higher one chosen. A cap takes a uniform sample without replacement, drawn as indices into an implicit
/// numbering of the valid pairs (sorted ratings make each rating's partners a contiguous run), so a user with
/// thousands of ratings never has all O(n²) pairs listed.
/// </summary>
internal static class PairSampler
{
    /// <summary>Counts the pairs without taking any. Sorts <paramref name="candidates"/> in place.</summary>
    public static PairTally Count(Span<PairCandidate> candidates, double margin) =>
        Prepare(candidates, margin, out _, out _, out _) with { Taken = 0 };

    /// <summary>
    /// Appends the sampled pairs (chosen index, rejected index) to <paramref name="output"/> in a random order. Sorts
    /// <paramref name="candidates"/> in place. <paramref name="cap"/> 0 takes every valid pair.
    /// </summary>
    public static PairTally Sample(Span<PairCandidate> candidates, double margin, long cap, Random random, List<(int Chosen, int Rejected)> output)
    {
        var tally = Prepare(candidates, margin, out var partnersFrom, out var cumulative, out var groupEnd);
        var first = output.Count;
        if (cap == 0 || tally.Valid <= cap)
        {
            for (var i = 0; i < candidates.Length; i++)
            {
                for (var j = partnersFrom[i]; j < groupEnd[i]; j++)
                {
                    output.Add((candidates[j].Index, candidates[i].Index));
                }
            }
        }
        else
        {
            // Floyd's algorithm: cap distinct indices in [0, Valid), uniformly, in O(cap) draws.
            var picked = new HashSet<long>();
            for (var top = tally.Valid - cap; top < tally.Valid; top++)
            {
                var draw = random.NextInt64(top + 1);
                picked.Add(picked.Contains(draw) ? top : draw);
            }

            var indices = picked.ToArray();
            Array.Sort(indices);
            var i = 0;
            foreach (var index in indices)
            {
                while (cumulative[i] <= index)
                {
                    i++;
                }

                var before = cumulative[i] - (groupEnd[i] - partnersFrom[i]);
                var j = partnersFrom[i] + (int)(index - before);
                output.Add((candidates[j].Index, candidates[i].Index));
            }
        }

        // Random order: a user's first pairs serve as context, and index order would start every user at their lowest rating.
        for (var k = output.Count - 1; k > first; k--)
        {
            var swap = first + random.Next(k - first + 1);
            (output[k], output[swap]) = (output[swap], output[k]);
        }

        return tally with { Taken = output.Count - first };
    }

    /// <summary>
    /// Sorts by (group, rating, index) and finds, for every rating, the run of partners rated at least the margin higher
    /// in its group: [<paramref name="partnersFrom"/>[i], <paramref name="groupEnd"/>[i]); <paramref name="cumulative"/>
    /// numbers the valid pairs.
    /// </summary>
    private static PairTally Prepare(Span<PairCandidate> candidates, double margin, out int[] partnersFrom, out long[] cumulative, out int[] groupEnd)
    {
        candidates.Sort(static (a, b) =>
            a.Group != b.Group ? a.Group.CompareTo(b.Group)
            : a.Rating != b.Rating ? a.Rating.CompareTo(b.Rating)
            : a.Index.CompareTo(b.Index));
        partnersFrom = new int[candidates.Length];
        cumulative = new long[candidates.Length];
        groupEnd = new int[candidates.Length];
        long comparable = 0, valid = 0;
        var start = 0;
        while (start < candidates.Length)
        {
            var end = start;
            while (end < candidates.Length && candidates[end].Group == candidates[start].Group)
            {
                end++;
            }

            long size = end - start;
            comparable += size * (size - 1) / 2;
            var partner = start;
            for (var i = start; i < end; i++)
            {
                // Ratings such as 0.3 and 0.2 differ by a hair less than 0.1 in binary: allow for it.
                var threshold = candidates[i].Rating + margin - (1e-9 * Math.Max(1, Math.Abs(candidates[i].Rating) + margin));
                partner = Math.Max(partner, i + 1);
                while (partner < end && candidates[partner].Rating < threshold)
                {
                    partner++;
                }

                partnersFrom[i] = partner;
                groupEnd[i] = end;
                valid += end - partner;
                cumulative[i] = valid;
            }

            start = end;
        }

        return new PairTally(comparable, valid, 0);
    }
}
