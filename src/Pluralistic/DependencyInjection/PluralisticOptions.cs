namespace Pluralistic;

/// <summary>Process-wide settings of the SDK in an application.</summary>
public sealed class PluralisticOptions
{
    /// <summary>Device for TorchSharp work: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>
    /// libtorch intra-op threads (0: libtorch's default). Servers scoring many requests at once usually do best with 1,
    /// leaving cores to the thread pool.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>The seed of trainers created from the registered <see cref="PluralisticContext"/>.</summary>
    public int Seed { get; set; }
}

/// <summary>How a reward model registered from a run directory is opened.</summary>
public sealed class RunModelOptions
{
    /// <summary>The run directory (written by <c>pluralistic train</c> or <c>RunDirectory.SaveAsync</c>).</summary>
    public string RunDirectory { get; set; } = string.Empty;

    /// <summary>
    /// Open the store read-only (no adaptation, several processes may read). Default false: an application usually
    /// records feedback and adapts users.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>Device; <see langword="null"/> uses <see cref="PluralisticOptions.Device"/>.</summary>
    public string? Device { get; set; }

    /// <summary>
    /// For runs with a saved text embedder: the most texts whose embeddings are kept in memory, so each distinct text
    /// is embedded once (0 turns the cache off). Default 100,000.
    /// </summary>
    public int EmbeddingCacheCapacity { get; set; } = 100_000;
}
