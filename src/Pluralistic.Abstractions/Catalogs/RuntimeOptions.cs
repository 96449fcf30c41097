namespace Pluralistic;

/// <summary>
/// Where and how the SDK computes: the seed of every random choice, the device and libtorch's intra-op threads. One
/// type for the whole runtime: a <see cref="PluralisticContext"/> carries one, <c>services.AddPluralistic(...)</c>
/// configures one, and it applies wherever a model is trained or opened. A trainer's own options override it where
/// they set a value.
/// </summary>
public sealed class RuntimeOptions
{
    /// <summary>The seed of trainers that do not set their own. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Device for TorchSharp work: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (default).</summary>
    public string Device { get; set; } = "auto";

    /// <summary>
    /// libtorch intra-op threads (process-wide; 0: libtorch's default). Servers scoring many requests at once usually
    /// do best with 1, leaving cores to the thread pool. Default 0.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>A copy (the options pattern hands out mutable instances; consumers keep their own).</summary>
    /// <returns>The copy.</returns>
    public RuntimeOptions Clone() => new() { Seed = Seed, Device = Device, Threads = Threads };

    /// <summary>Checks the values, naming the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Threads is negative.</exception>
    /// <exception cref="ArgumentException">Device is empty.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Threads);
        ArgumentException.ThrowIfNullOrWhiteSpace(Device);
    }
}
