using Pluralistic.Models;
using Pluralistic.Torch;

namespace Pluralistic.Runs;

/// <summary>How <see cref="Run.OpenAsync"/> (and <see cref="RunDirectory.Open"/>) opens a run.</summary>
public sealed record RunOpenOptions
{
    /// <summary>
    /// The default of <see cref="ReadOnly"/> here and in dependency injection's <see cref="RunModelOptions.ReadOnly"/>:
    /// <see langword="true"/>. Read-only is the safe default: opening a run to score or evaluate it leaves the run
    /// byte-for-byte unchanged, several processes can read one run at once (a writer holds the store's lock
    /// exclusively), and a run served by mistake cannot be changed by it. An application that records feedback and
    /// adapts users says so with <c>ReadOnly = false</c>; writing to a read-only run is a
    /// <see cref="UserStateStoreException"/> that says the store was opened read-only.
    /// </summary>
    public const bool DefaultReadOnly = true;

    /// <summary>The default of <see cref="EmbeddingCacheCapacity"/> (and of <see cref="RunModelOptions.EmbeddingCacheCapacity"/>).</summary>
    public const int DefaultEmbeddingCacheCapacity = 100_000;

    /// <summary>
    /// Open the user store read-only (default, <see cref="DefaultReadOnly"/>): scoring and evaluation leave the run
    /// byte-for-byte unchanged and several processes can read one run. Set false to adapt users and persist their states.
    /// </summary>
    public bool ReadOnly { get; init; } = DefaultReadOnly;

    /// <summary>Device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (default).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>The model kinds the run's kind is looked up in. Default: the SDK's built-in kinds.</summary>
    public RewardModelKindRegistry Kinds { get; init; } = RewardModelKinds.BuiltIn;

    /// <summary>
    /// For runs with a text embedder: the most texts whose embeddings <see cref="Run.TextEmbedder"/> keeps in memory,
    /// so each distinct text is embedded once (0 turns the cache off). Default 100,000.
    /// </summary>
    public int EmbeddingCacheCapacity { get; init; } = DefaultEmbeddingCacheCapacity;

    /// <summary>
    /// Opens the store the run's user states live in instead of the run directory's <c>users.db</c> (for example a
    /// PostgreSQL store shared by many processes, scoped to the run), given the run's manifest; the run then owns the
    /// store and disposes it. <see cref="ReadOnly"/> does not apply to such a store. <see langword="null"/> (default):
    /// <c>users.db</c>.
    /// </summary>
    public Func<RunManifest, IUserStateStore>? UserStateStore { get; init; }
}
