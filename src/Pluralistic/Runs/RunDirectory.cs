using Microsoft.Extensions.AI;
using Pluralistic.Models;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Torch;

namespace Pluralistic.Runs;

/// <summary>
/// A trained model on disk: <c>manifest.json</c> (kind, options, dimensions, seed, training-data fingerprint,
/// metrics, SHA-256 of the weights, the text embedder), <c>weights.bin</c>, the per-user state store <c>users.db</c>
/// (LiteDB) and, for runs trained on text with the hashed generator, its <c>embedder.json</c>.
/// Self-contained: a run directory can be copied to another machine and opened there.
/// </summary>
public static class RunDirectory
{
    /// <summary>The user state store's file name.</summary>
    public const string UserStoreFile = "users.db";

    /// <summary>The saved hashed n-gram generator's file name (runs trained on text with it).</summary>
    public const string EmbeddingGeneratorFile = "embedder.json";

    /// <summary>Writes a model and its users' states as a run directory.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="directory">The directory (created when missing).</param>
    /// <param name="overwrite">Replace a run already in the directory.</param>
    /// <param name="embeddingGenerator">
    /// The text embedder the training vectors came from: recorded in the manifest (name, model, version, dimension,
    /// probe sketch; see <see cref="TextEmbedderKinds"/>) and, for the hashed generator, saved, so opening the run
    /// rebuilds it and scoring embeds text exactly as training did.
    /// </param>
    /// <param name="cancellationToken">Cancels writing before the manifest is written.</param>
    /// <returns>The manifest written.</returns>
    /// <exception cref="RunDirectoryException">The directory already holds a run and <paramref name="overwrite"/> is false.</exception>
    /// <exception cref="DimensionMismatchException">The embedder's vectors do not have the model's response dimension.</exception>
    public static async Task<RunManifest> SaveAsync(
        TorchUserRewardModel model,
        string directory,
        bool overwrite = false,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var manifestPath = Path.Combine(directory, Checkpoint.ManifestFile);
        if (File.Exists(manifestPath))
        {
            if (!overwrite)
            {
                throw new RunDirectoryException(directory, $"'{directory}' already holds a run; choose another directory or overwrite it explicitly");
            }

            // Remove the manifest first: an interrupted overwrite then reads as an incomplete run, never a mixed one.
            File.Delete(manifestPath);
        }

        Directory.CreateDirectory(directory);
        // The manifest is written last, so until then the directory reads as an incomplete run.
        var storePath = Path.Combine(directory, UserStoreFile);
        File.Delete(storePath);
        using (var store = new LiteDbUserStateStore(storePath))
        {
            var batch = new List<UserState>(512);
            await foreach (var state in model.UserStates.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                batch.Add(state);
                if (batch.Count == batch.Capacity)
                {
                    await store.UpsertManyAsync(batch, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                }
            }

            await store.UpsertManyAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        File.Delete(Path.Combine(directory, EmbeddingGeneratorFile));
        var embedder = embeddingGenerator is null ? null : await TextEmbedderKinds.SaveAsync(embeddingGenerator, directory, cancellationToken).ConfigureAwait(false);
        if (embedder is not null && embedder.Dimension != model.Metadata.ResponseDimension)
        {
            throw new DimensionMismatchException("text embedder vector", model.Metadata.ResponseDimension, embedder.Dimension);
        }

        var manifest = model.CreateManifest() with
        {
            UserStore = new UserStoreInfo("litedb", UserStoreFile),
            TextEmbedder = embedder,
            // Written for hashed runs as before, so an older SDK still finds the generator.
            EmbeddingGeneratorFile = embedder?.Name == TextEmbedderKinds.Hashed ? embedder.File : null,
        };
        return Checkpoint.Write(directory, manifest, model.SerializeWeights());
    }

    /// <summary>
    /// The text embedder a run was trained with, rebuilt (the hashed generator from its saved file, the sentence
    /// encoder from its package), or <see langword="null"/> when the run was trained on vectors. Before its first
    /// embeddings it verifies that it reproduces the run's probe sketch.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <returns>The embedder (the caller disposes it).</returns>
    /// <exception cref="RunDirectoryException">The manifest names an embedder file that is missing or damaged.</exception>
    /// <exception cref="UnknownTextEmbedderException">The run's embedder is not one this SDK can rebuild.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>>? LoadEmbeddingGenerator(string directory) =>
        TextEmbedderKinds.FromManifest(Checkpoint.ReadManifest(directory)) is { } embedder ? TextEmbedderKinds.Rebuild(embedder, directory) : null;

    /// <summary>Opens a run directory, verifying the manifest, the weights' hash and the store.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="options">Read-only or writable, device.</param>
    /// <returns>The model, owning its store.</returns>
    /// <exception cref="RunDirectoryException">The run is missing, incomplete, corrupt, foreign or from a newer version.</exception>
    /// <exception cref="UserStateStoreException">The store is locked by another process, corrupt or foreign.</exception>
    public static TorchUserRewardModel Open(string directory, RunOpenOptions? options = null)
    {
        options ??= new RunOpenOptions();
        var (manifest, weights) = Checkpoint.Read(directory);
        // Runs from before the embedder record are hashed: the model still learns which embedder it expects.
        manifest = manifest with { TextEmbedder = TextEmbedderKinds.FromManifest(manifest) };
        var storeFile = manifest.UserStore?.File ?? UserStoreFile;
        var storePath = Path.Combine(directory, storeFile);
        if (!File.Exists(storePath))
        {
            throw new CorruptRunException(storePath, $"the run is incomplete: {storeFile} is missing");
        }

        var device = TorchRuntime.ResolveDevice(options.Device);
        var store = new LiteDbUserStateStore(storePath, new LiteDbUserStateStoreOptions { ReadOnly = options.ReadOnly });
        try
        {
            return options.Kinds.Load(manifest, weights, store, device);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}

/// <summary>How <see cref="RunDirectory.Open"/> opens a run.</summary>
public sealed record RunOpenOptions
{
    /// <summary>
    /// Open the user store read-only (default): scoring and evaluation leave the run byte-for-byte unchanged and
    /// several processes can read one run. Set false to adapt users and persist their states.
    /// </summary>
    public bool ReadOnly { get; init; } = true;

    /// <summary>Device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (default).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>The model kinds the run's kind is looked up in. Default: the SDK's built-in kinds.</summary>
    public RewardModelKindRegistry Kinds { get; init; } = RewardModelKinds.BuiltIn;
}
