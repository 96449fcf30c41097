using Microsoft.Extensions.AI;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Text;
using Pluralistic.Torch;

namespace Pluralistic.Runs;

/// <summary>
/// An opened run directory: its manifest (read and verified once), its model over the run's user state store and, for
/// runs trained on text, the text embedder the training vectors came from. This is the one place where a run's model
/// and embedder are put together; the command line, dependency injection and the experiments all open runs through it.
/// </summary>
/// <remarks>
/// The embedder is rebuilt when it is first asked for (<see cref="TextEmbedder"/>, <see cref="TextModel"/>), so opening a
/// run to score vectors never builds it, and it verifies itself against the run's record before it embeds its first
/// text, so even then the sentence encoder is not loaded until text is embedded. Disposing the run (or its
/// <see cref="TextModel"/>) releases the model, its store and the embedder.
/// </remarks>
public sealed class Run : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TorchUserRewardModel _model;
    private readonly int _embeddingCacheCapacity;
    private IEmbeddingGenerator<string, Embedding<float>>? _textEmbedder;
    private RunRewardModel? _textModel;
    private bool _disposed;

    private Run(string directory, RunManifest manifest, TorchUserRewardModel model, int embeddingCacheCapacity)
    {
        Directory = directory;
        Manifest = manifest;
        _model = model;
        _embeddingCacheCapacity = embeddingCacheCapacity;
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }

    /// <summary>
    /// The run's manifest, as read and verified when the run was opened. Its <see cref="RunManifest.TextEmbedder"/> is
    /// the run's embedder record, also for runs written before that record existed (which name only
    /// <see cref="RunManifest.EmbeddingGeneratorFile"/>: the hashed generator).
    /// </summary>
    public RunManifest Manifest { get; }

    /// <summary>
    /// The model, over the run's user state store. It works on vectors; <see cref="TextModel"/> adds the run's text
    /// embedder. The torch model (weights, fingerprint, store) is <c>Model.GetService&lt;TorchUserRewardModel&gt;()</c>.
    /// </summary>
    public IUserRewardModel Model
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _model;
        }
    }

    /// <summary>
    /// The text embedder the run was trained with (rebuilt on first use: the hashed generator from its saved file, the
    /// sentence encoder from its package; behind an in-memory cache unless <see cref="RunOpenOptions.EmbeddingCacheCapacity"/>
    /// is 0), or <see langword="null"/> for a run trained on vectors. Before its first embeddings it verifies that it
    /// reproduces the run's probe sketch. Owned by the run.
    /// </summary>
    /// <exception cref="UnknownTextEmbedderException">The run's embedder is not one of <see cref="TextEmbedderKinds"/>.</exception>
    /// <exception cref="CorruptRunException">The embedder's saved file is missing or damaged.</exception>
    public IEmbeddingGenerator<string, Embedding<float>>? TextEmbedder
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_textEmbedder is null && Manifest.TextEmbedder is { } record)
                {
                    var rebuilt = TextEmbedderKinds.Rebuild(record, Directory);
                    _textEmbedder = _embeddingCacheCapacity > 0 ? new MemoryCachingEmbeddingGenerator(rebuilt, _embeddingCacheCapacity) : rebuilt;
                }

                return _textEmbedder;
            }
        }
    }

    /// <summary>
    /// The model composed with its text embedder, ready for the text convenience methods (<c>RankAsync</c>,
    /// <c>BestOfNAsync</c>, <c>RecordFeedbackAsync</c> with strings); for a run trained on vectors, the model itself.
    /// It answers <c>GetService&lt;Run&gt;()</c> with this run. Disposing it disposes the run: hand it to an owner
    /// (a service container, a pipeline builder) that outlives the run object.
    /// </summary>
    /// <exception cref="UnknownTextEmbedderException">The run's embedder is not one of <see cref="TextEmbedderKinds"/>.</exception>
    /// <exception cref="CorruptRunException">The embedder's saved file is missing or damaged.</exception>
    public IUserRewardModel TextModel
    {
        get
        {
            var embedder = TextEmbedder;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _textModel ??= new RunRewardModel(
                    this,
                    embedder is null ? _model : new EmbeddingGeneratorRewardModel(_model, embedder, ownsGenerator: false));
            }
        }
    }

    /// <summary>
    /// Opens a run directory: reads and verifies the manifest (format, version) and the weights (length, SHA-256), loads
    /// the model of the run's kind (which checks that it reproduces the recorded fingerprint) and opens the user state
    /// store. The text embedder is rebuilt when first asked for.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="options">Read-only (default) or writable, device, model kinds, embedding cache.</param>
    /// <param name="cancellationToken">Cancels reading the files.</param>
    /// <returns>The opened run (the caller disposes it).</returns>
    /// <exception cref="RunDirectoryException">The run is missing, incomplete, corrupt, foreign or from a newer version.</exception>
    /// <exception cref="UserStateStoreException">The store is locked by another process, corrupt or foreign.</exception>
    /// <exception cref="UnknownModelKindException">The run's kind is not in <see cref="RunOpenOptions.Kinds"/>.</exception>
    public static async Task<Run> OpenAsync(string directory, RunOpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new RunOpenOptions();
        var (manifest, weights) = await Checkpoint.ReadAsync(directory, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return Create(directory, manifest, weights, options);
    }

    /// <summary>Disposes the model, its store and the text embedder (when it was built).</summary>
    public void Dispose()
    {
        IEmbeddingGenerator<string, Embedding<float>>? embedder;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            embedder = _textEmbedder;
        }

        embedder?.Dispose();
        _model.Dispose();
    }

    /// <summary>Opens a run synchronously (for dependency injection's factories, which cannot await).</summary>
    internal static Run Open(string directory, RunOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (manifest, weights) = Checkpoint.Read(directory);
        return Create(directory, manifest, weights, options ?? new RunOpenOptions());
    }

    /// <summary>The model of a verified checkpoint over the run's store (what <see cref="RunDirectory.Open"/> returns).</summary>
    internal static TorchUserRewardModel LoadModel(string directory, RunManifest manifest, byte[] weights, RunOpenOptions options)
    {
        CheckOptionLimits(directory, manifest, options.Kinds);
        var device = TorchRuntime.ResolveDevice(options.Device);
        var store = options.UserStateStore is { } open ? open(manifest) : OpenRunStore(directory, manifest, options.ReadOnly);
        try
        {
            return options.Kinds.Load(WithEmbedderRecord(manifest), weights, store, device);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static LiteDbUserStateStore OpenRunStore(string directory, RunManifest manifest, bool readOnly)
    {
        var storeFile = manifest.UserStore?.File ?? RunDirectory.UserStoreFile;
        var storePath = Path.Combine(directory, storeFile);
        if (!File.Exists(storePath))
        {
            throw new CorruptRunException(storePath, $"the run is incomplete: {storeFile} is missing");
        }

        return new LiteDbUserStateStore(storePath, new LiteDbUserStateStoreOptions { ReadOnly = readOnly });
    }

    // A manifest edited by hand (or damaged) may carry options no training would accept, e.g. 1e8 adaptation steps
    // that hang the first adaptation: they are refused when the run opens, naming the manifest key.
    private static void CheckOptionLimits(string directory, RunManifest manifest, RewardModelKindRegistry kinds)
    {
        RewardTrainerOptions read;
        try
        {
            read = kinds.Get(manifest.ModelKind).ReadOptions(manifest.Options);
        }
        catch (Exception e) when (e is UnknownModelKindException or System.Text.Json.JsonException or ArgumentException)
        {
            // Loading reports an unknown kind or unreadable options with its own, established errors.
            return;
        }

        try
        {
            OptionLimits.Check(read, manifest.ResponseDimension, manifest.PromptDimension, name => "options." + System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name));
        }
        catch (OptionLimitException e)
        {
            throw new CorruptRunException(Path.Combine(directory, Checkpoint.ManifestFile), $"{Checkpoint.ManifestFile} of '{directory}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The manifest with its embedder record filled in for runs from before the record existed (hashed), so the model
    /// still learns which embedder it expects.
    /// </summary>
    internal static RunManifest WithEmbedderRecord(RunManifest manifest) =>
        manifest.TextEmbedder is not null ? manifest : manifest with { TextEmbedder = TextEmbedderKinds.FromManifest(manifest) };

    private static Run Create(string directory, RunManifest manifest, byte[] weights, RunOpenOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.EmbeddingCacheCapacity);
        return new(directory, WithEmbedderRecord(manifest), LoadModel(directory, manifest, weights, options), options.EmbeddingCacheCapacity);
    }

    /// <summary>The run's <see cref="TextModel"/>: it owns the run, and answers <see cref="Run"/> through <c>GetService</c>.</summary>
    private sealed class RunRewardModel(Run run, IUserRewardModel inner) : DelegatingUserRewardModel(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null)
        {
            ArgumentNullException.ThrowIfNull(serviceType);
            return serviceKey is null && serviceType == typeof(Run) ? run : base.GetService(serviceType, serviceKey);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                run.Dispose();
            }

            // The inner layers hold nothing the run did not: disposing them again is harmless (the model ignores it).
            base.Dispose(disposing);
        }
    }
}
