using Microsoft.Extensions.AI;
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

    /// <summary>
    /// The scope under which a store shared by many runs (PostgreSQL) keeps this run's user states:
    /// <c>run-</c> and the SHA-256 of its weights, so runs never mix states and every process that opens the same run,
    /// on any machine, shares them.
    /// </summary>
    /// <param name="manifest">The run's manifest.</param>
    /// <returns>The scope.</returns>
    public static string StoreScope(RunManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return $"run-{manifest.Weights.Sha256.ToLowerInvariant()}";
    }

    /// <summary>Writes a model and its users' states as a run directory.</summary>
    /// <param name="model">
    /// The trained model, bare or inside middleware (a <see cref="UserRewardModelBuilder"/> pipeline, a run's
    /// <see cref="Run.TextModel"/>): the torch model is found with <c>GetService&lt;TorchUserRewardModel&gt;()</c>, and
    /// the user states saved are those of the store it reads (under a cache, the cache's view).
    /// </param>
    /// <param name="directory">The directory (created when missing).</param>
    /// <param name="overwrite">Replace a run already in the directory.</param>
    /// <param name="embeddingGenerator">
    /// The text embedder the training vectors came from, or <see langword="null"/> for the one the model carries
    /// (<c>GetService</c> of <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, as a run's <see cref="Run.TextModel"/>
    /// does), if any. It must be of a kind <see cref="TextEmbedderKinds"/> knows: it is recorded in the manifest (name,
    /// model, version, dimension, probe sketch) and, for the hashed generator, saved, so opening the run rebuilds it
    /// and scoring embeds text exactly as training did.
    /// </param>
    /// <param name="cancellationToken">Cancels writing before the manifest is written.</param>
    /// <returns>The manifest written.</returns>
    /// <remarks>
    /// The run is written into a staging directory beside <paramref name="directory"/> and renamed into its place when
    /// complete, so a failure leaves an existing run as it was. An existing run is replaced only while no other process
    /// holds it (the store's lock), and only when the directory holds nothing but a run's files.
    /// </remarks>
    /// <exception cref="RunDirectoryException">
    /// The directory already holds a run and <paramref name="overwrite"/> is false, holds files that are not part of a
    /// run, or its run is open in another process.
    /// </exception>
    /// <exception cref="ModelNotSavableException">No torch model is inside <paramref name="model"/>.</exception>
    /// <exception cref="UnknownTextEmbedderException">The embedder is not of a kind a run can save and rebuild.</exception>
    /// <exception cref="DimensionMismatchException">The embedder's vectors do not have the model's response dimension.</exception>
    public static async Task<RunManifest> SaveAsync(
        IUserRewardModel model,
        string directory,
        bool overwrite = false,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        using var replacement = RunReplacement.Begin(directory, overwrite);
        return await SaveAsync(model, replacement, embeddingGenerator, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a model into a <see cref="RunReplacement"/>'s staging directory and, when complete, puts it in the
    /// target's place (the CLI begins the replacement before training, so the lock is held throughout).
    /// </summary>
    internal static async Task<RunManifest> SaveAsync(
        IUserRewardModel model,
        RunReplacement replacement,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var torch = model.GetService<TorchUserRewardModel>() ?? throw new ModelNotSavableException(model.Metadata.Kind, model.GetType().Name);

        // The embedder is checked before anything is written: a refused one leaves the directory as it was.
        embeddingGenerator ??= model.GetService<IEmbeddingGenerator<string, Embedding<float>>>();
        TextEmbedderKind? embedderKind = null;
        TextEmbedderInfo? embedder = null;
        if (embeddingGenerator is not null)
        {
            (embedderKind, embedder) = await TextEmbedderKinds.DescribeAsync(embeddingGenerator, cancellationToken).ConfigureAwait(false);
            if (embedder.Dimension != torch.Metadata.ResponseDimension)
            {
                throw new DimensionMismatchException("text embedder vector", torch.Metadata.ResponseDimension, embedder.Dimension);
            }
        }

        // Everything is written into the staging directory beside the target; the target changes only in Commit.
        var staging = replacement.Staging;
        var storePath = Path.Combine(staging, UserStoreFile);
        using (var store = new LiteDbUserStateStore(storePath))
        {
            var batch = new List<UserState>(512);
            await foreach (var state in torch.UserStates.ListAsync(cancellationToken).ConfigureAwait(false))
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
        var record = embedderKind is null || embedder is null ? null : TextEmbedderKinds.SaveFile(embedderKind, embeddingGenerator!, embedder, staging);
        var manifest = torch.CreateManifest() with
        {
            UserStore = new UserStoreInfo("litedb", UserStoreFile),
            TextEmbedder = record,
            // Written for hashed runs as before, so an older SDK still finds the generator.
            EmbeddingGeneratorFile = record?.Name == TextEmbedderKinds.Hashed ? record.File : null,
        };
        var written = Checkpoint.Write(staging, manifest, torch.SerializeWeights());
        replacement.Commit();
        return written;
    }

    /// <summary>
    /// The text embedder a run was trained with, rebuilt (the hashed generator from its saved file, the sentence
    /// encoder from its package), or <see langword="null"/> when the run was trained on vectors. Before its first
    /// embeddings it verifies that it reproduces the run's probe sketch. An opened <see cref="Run"/> has it as
    /// <see cref="Run.TextEmbedder"/> without reading the manifest again: prefer that.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <returns>The embedder (the caller disposes it).</returns>
    /// <exception cref="RunDirectoryException">The manifest names an embedder file that is missing or damaged.</exception>
    /// <exception cref="UnknownTextEmbedderException">The run's embedder is not one this SDK can rebuild.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>>? LoadEmbeddingGenerator(string directory) =>
        TextEmbedderKinds.FromManifest(Checkpoint.ReadManifest(directory)) is { } embedder ? TextEmbedderKinds.Rebuild(embedder, directory) : null;

    /// <summary>
    /// Opens a run directory's model alone, verifying the manifest, the weights' hash and the store. A thin wrapper
    /// kept for code that wants the torch model itself: <see cref="Run.OpenAsync"/> opens the same model and also
    /// gives the run's manifest and text embedder (and the model composed with it), so prefer it.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="options">Read-only (default) or writable, device, model kinds.</param>
    /// <returns>The model, owning its store.</returns>
    /// <exception cref="RunDirectoryException">The run is missing, incomplete, corrupt, foreign or from a newer version.</exception>
    /// <exception cref="UserStateStoreException">The store is locked by another process, corrupt or foreign.</exception>
    public static TorchUserRewardModel Open(string directory, RunOpenOptions? options = null)
    {
        var (manifest, weights) = Checkpoint.Read(directory);
        return Run.LoadModel(directory, manifest, weights, options ?? new RunOpenOptions());
    }
}
