using System.Collections.Concurrent;
using TorchSharp;

namespace Pluralistic.Torch;

/// <summary>
/// Process-lifetime TorchSharp <see cref="Scalar"/>s for the constants that scoring code passes to tensor ops. A bare
/// number becomes a temporary Scalar that only a finalizer frees, and a garbage collection started by another thread
/// can free it while libtorch still reads it (docs/architecture.md, "Threads and TorchSharp's Scalars"). A cached
/// Scalar stays referenced by this cache, so it is never finalized. Use it for a bounded set of values (literals and
/// per-model constants such as a latent size), not for values that change per call.
/// </summary>
public static class ScalarCache
{
    private static readonly ConcurrentDictionary<double, Scalar> Scalars = new();

    /// <summary>The cached Scalar of a value (created once per distinct value).</summary>
    /// <param name="value">The value.</param>
    /// <returns>A Scalar that lives as long as the process.</returns>
    public static Scalar Of(double value) => Scalars.GetOrAdd(value, static v => v.ToScalar());
}
