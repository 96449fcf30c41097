using Pluralistic.Runs;

namespace Pluralistic;

/// <summary>How a reward model registered from a run directory is opened (see <see cref="Run.OpenAsync"/>).</summary>
public sealed class RunModelOptions
{
    /// <summary>The run directory (written by <c>pluralistic train</c> or <c>RunDirectory.SaveAsync</c>).</summary>
    public string RunDirectory { get; set; } = string.Empty;

    /// <summary>
    /// Open the store read-only: no adaptation, several processes may read, the run stays unchanged. Default
    /// <see langword="true"/>, the same as <see cref="RunOpenOptions.ReadOnly"/> (<see cref="RunOpenOptions.DefaultReadOnly"/>
    /// says why). An application that records feedback and adapts users sets it to <see langword="false"/>.
    /// </summary>
    public bool ReadOnly { get; set; } = RunOpenOptions.DefaultReadOnly;

    /// <summary>Device; <see langword="null"/> uses the runtime's (<see cref="RuntimeOptions.Device"/>).</summary>
    public string? Device { get; set; }

    /// <summary>
    /// For runs with a saved text embedder: the most texts whose embeddings are kept in memory, so each distinct text
    /// is embedded once (0 turns the cache off). Default 100,000.
    /// </summary>
    public int EmbeddingCacheCapacity { get; set; } = RunOpenOptions.DefaultEmbeddingCacheCapacity;

    /// <summary>
    /// Opens the store of the run's user states instead of its <c>users.db</c>, given the run's manifest (see
    /// <see cref="RunOpenOptions.UserStateStore"/>); <see langword="null"/> (default): <c>users.db</c>.
    /// </summary>
    public Func<Torch.RunManifest, IUserStateStore>? UserStateStore { get; set; }
}
