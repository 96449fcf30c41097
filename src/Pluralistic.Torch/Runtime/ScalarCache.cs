using System.Collections.Concurrent;
using TorchSharp;

namespace Pluralistic.Torch;

/// <summary>
/// Process-lifetime TorchSharp <see cref="Scalar"/>s for the constants that code passes to tensor ops. A bare number
/// becomes a temporary Scalar that only a finalizer frees, and a garbage collection can free it while libtorch still
/// reads it (docs/architecture.md, "Threads and TorchSharp's Scalars"). A cached Scalar stays referenced by this
/// cache, so it is never finalized. Use it for a bounded set of values (literals and per-model constants such as a
/// latent size); values that change per call go through <see cref="TensorArithmetic"/>, which disposes its Scalars.
/// </summary>
internal static class ScalarCache
{
    private static readonly ConcurrentDictionary<double, Scalar> Reals = new();
    private static readonly ConcurrentDictionary<long, Scalar> Integers = new();

    /// <summary>The cached floating-point Scalar of a value (created once per distinct value).</summary>
    /// <param name="value">The value.</param>
    /// <returns>A Scalar that lives as long as the process.</returns>
    public static Scalar Of(double value) => Reals.GetOrAdd(value, static v => v.ToScalar());

    /// <summary>
    /// The cached integer Scalar of a value (created once per distinct value). Integer Scalars keep integer tensors
    /// integer (a floating-point bound would promote <c>clamp</c> or <c>masked_fill</c> results on index tensors).
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>A Scalar that lives as long as the process.</returns>
    public static Scalar Of(long value) => Integers.GetOrAdd(value, static v => v.ToScalar());
}
