using Pluralistic.Models;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Text;
using Pluralistic.Torch;

namespace Pluralistic.Runs;

/// <summary>
/// A trained model on disk: <c>manifest.json</c> (kind, options, dimensions, seed, training-data fingerprint,
/// metrics, SHA-256 of the weights), <c>weights.bin</c> and the per-user state store <c>users.db</c> (LiteDB).
/// Self-contained: a run directory can be copied to another machine and opened there.
/// </summary>
public static class RunDirectory
{
    /// <summary>The user state store's file name.</summary>
    public const string UserStoreFile = "users.db";

    /// <summary>The saved text embedder's file name (runs trained on text).</summary>
    public const string EmbeddingGeneratorFile = "embedder.json";

    /// <summary>Writes a model and its users' states as a run directory.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="directory">The directory (created when missing).</param>
    /// <param name="overwrite">Replace a run already in the directory.</param>
    /// <param name="embeddingGenerator">The text embedder the model was trained with, saved so scoring embeds text the same way.</param>
    /// <param name="cancellationToken">Cancels writing before the manifest is written.</param>
    /// <returns>The manifest written.</returns>
    /// <exception cref="RunDirectoryException">The directory already holds a run and <paramref name="overwrite"/> is false.</exception>
    public static async Task<RunManifest> SaveAsync(
        TorchUserRewardModel model,
        string directory,
        bool overwrite = false,
        HashedNgramEmbeddingGenerator? embeddingGenerator = null,
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
        var embedderPath = Path.Combine(directory, EmbeddingGeneratorFile);
        File.Delete(embedderPath);
        embeddingGenerator?.Save(embedderPath);
        var manifest = model.CreateManifest() with
        {
            UserStore = new UserStoreInfo("litedb", UserStoreFile),
            EmbeddingGeneratorFile = embeddingGenerator is null ? null : EmbeddingGeneratorFile,
        };
        return Checkpoint.Write(directory, manifest, model.SerializeWeights());
    }

    /// <summary>The text embedder saved with a run, or <see langword="null"/> when the run was trained on vectors.</summary>
    /// <param name="directory">The run directory.</param>
    /// <returns>The embedder.</returns>
    /// <exception cref="RunDirectoryException">The manifest names an embedder file that is missing or damaged.</exception>
    public static HashedNgramEmbeddingGenerator? LoadEmbeddingGenerator(string directory)
    {
        var manifest = Checkpoint.ReadManifest(directory);
        if (manifest.EmbeddingGeneratorFile is not { } file)
        {
            return null;
        }

        var path = Path.Combine(directory, Path.GetFileName(file));
        return File.Exists(path)
            ? HashedNgramEmbeddingGenerator.Load(path)
            : throw new CorruptRunException(path, $"the run is incomplete: {file} is missing");
    }

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
