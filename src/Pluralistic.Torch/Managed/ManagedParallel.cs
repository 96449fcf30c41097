namespace Pluralistic.Torch.Managed;

/// <summary>
/// How the managed path uses the cores: a call with at least <see cref="Work"/> multiply-adds is split once, at its
/// outermost level (a request's rows, or a layer's tiles when nothing above split), and everything below a split runs
/// serially on its worker. One fork and join per request instead of one per layer: on a 2-core machine each costs a
/// few microseconds, and the work between layers (activations, standardisation) is split as well.
/// </summary>
internal static class ManagedParallel
{
    /// <summary>Multiply-adds of one call above which it is split over the cores.</summary>
    public const long Work = 1L << 20;

    [ThreadStatic]
    private static bool t_split;

    /// <summary>A range [start, start + count) of a split call's units.</summary>
    /// <param name="start">The first unit.</param>
    /// <param name="count">The number of units.</param>
    public delegate void Range(int start, int count);

    /// <summary>How many workers a call of <paramref name="work"/> multiply-adds over <paramref name="units"/> units gets (1 inside a split).</summary>
    /// <param name="work">The call's multiply-adds.</param>
    /// <param name="units">The most workers the call can use.</param>
    /// <returns>At least 1.</returns>
    public static int Workers(long work, int units) =>
        t_split || work < Work ? 1 : Math.Max(1, Math.Min(Environment.ProcessorCount, units));

    /// <summary>
    /// Runs <paramref name="body"/> over [0, <paramref name="count"/>) units, split into contiguous ranges over the
    /// workers (each range a multiple of <paramref name="align"/> units but the last) when the call is large enough;
    /// calls inside a range see <see cref="Workers"/> = 1.
    /// </summary>
    /// <param name="count">The number of units.</param>
    /// <param name="align">The granularity of a range.</param>
    /// <param name="work">The call's multiply-adds.</param>
    /// <param name="body">The work of one range.</param>
    public static void For(int count, int align, long work, Range body)
    {
        var workers = Workers(work, (count + align - 1) / align);
        if (workers <= 1)
        {
            body(0, count);
            return;
        }

        var blocks = (count + align - 1) / align;
        Parallel.For(0, workers, w =>
        {
            var start = Math.Min(count, (int)((long)blocks * w / workers) * align);
            var end = Math.Min(count, (int)((long)blocks * (w + 1) / workers) * align);
            var outer = t_split;
            t_split = true;
            try
            {
                body(start, end - start);
            }
            finally
            {
                t_split = outer;
            }
        });
    }
}
