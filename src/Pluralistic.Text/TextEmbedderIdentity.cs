using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Pluralistic.Text;

/// <summary>
/// Who an embedder is, and whether it is the one a model was trained with: its metadata (provider, model, dimension)
/// and a sketch of its vectors for fixed probe sentences (<see cref="TextEmbedderProbe"/>).
/// </summary>
/// <remarks>
/// The sketch projects each probe sentence's L2-normalised vector onto 16 fixed pseudo-random unit directions
/// (generated from integers, the same on every machine) and keeps the projections to 6 decimals. Two embedders count as
/// the same when no projection differs by more than the tolerance, <see cref="DefaultTolerance"/> (0.001) unless the
/// run says otherwise. A projection moves by at most the distance between the two vectors, so the floating-point
/// noise of one model on another CPU (ONNX Runtime's kernels differ by instruction set in the last bits, around 1e-6
/// per component) stays far below it; another model, or a hashed generator fitted on other texts, moves the
/// projections by about 0.01 to 0.1.
/// </remarks>
public static class TextEmbedderIdentity
{
    /// <summary>The probe scheme of this version: <see cref="ProbeSentences"/> and 16 directions per vector.</summary>
    public const string ProbeScheme = "probe/1";

    /// <summary>The largest projection difference under which two embedders count as the same, unless a run records another.</summary>
    public const double DefaultTolerance = 1e-3;

    private const int Directions = 16;

    private static readonly ConcurrentDictionary<int, double[][]> DirectionsByDimension = new();

    /// <summary>The probe sentences (varied in topic, length and form).</summary>
    public static IReadOnlyList<string> ProbeSentences { get; } =
    [
        "The cat slept all afternoon on the warm windowsill.",
        "Quarterly revenue grew by twelve percent despite delays in the supply chain.",
        "How do I reset my password if I can no longer open my old email account?",
        "Short answer: no.",
    ];

    /// <summary>Describes an embedder for a run's manifest: its metadata and its probe sketch.</summary>
    /// <param name="generator">The embedder.</param>
    /// <param name="name">The embedder kind's name (<c>minilm</c>, <c>hashed</c>, ...).</param>
    /// <param name="version">The model's or saved form's version, when known.</param>
    /// <param name="file">The embedder's saved state in the run directory, when it has one.</param>
    /// <param name="cancellationToken">Cancels embedding the probes.</param>
    /// <returns>The description.</returns>
    public static async Task<TextEmbedderInfo> DescribeAsync(
        IEmbeddingGenerator<string, Embedding<float>> generator, string name, string? version = null, string? file = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        var (dimension, sketch) = await SketchAsync(generator, cancellationToken).ConfigureAwait(false);
        return new TextEmbedderInfo
        {
            Name = name,
            Provider = metadata?.ProviderName,
            ModelId = metadata?.DefaultModelId,
            Version = version,
            Dimension = dimension,
            File = file,
            Probe = new TextEmbedderProbe(ProbeScheme, sketch, DefaultTolerance),
        };
    }

    /// <summary>Describes an embedder from its metadata, for messages.</summary>
    /// <param name="generator">The embedder.</param>
    /// <returns>For example <c>pluralistic-hashed-ngrams cl100k_base-2gram-512, 512-d</c>.</returns>
    public static string Describe(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        var source = string.Join(' ', new[] { metadata?.ProviderName, metadata?.DefaultModelId }.Where(s => !string.IsNullOrEmpty(s)));
        if (source.Length == 0)
        {
            source = generator.GetType().Name;
        }

        return metadata?.DefaultModelDimensions is { } dimension ? $"{source}, {dimension}-d" : source;
    }

    /// <summary>
    /// Checks what can be checked without embedding anything: the provider, the model id and the dimension, where both
    /// sides state them.
    /// </summary>
    /// <param name="expected">The embedder the model was trained with.</param>
    /// <param name="generator">The embedder given.</param>
    /// <exception cref="EmbedderMismatchException">They differ.</exception>
    public static void CheckMetadata(TextEmbedderInfo expected, IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(generator);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        if (Differ(expected.Provider, metadata?.ProviderName))
        {
            throw new EmbedderMismatchException(expected, Describe(generator), $"provider '{metadata!.ProviderName}' is not '{expected.Provider}'");
        }

        if (Differ(expected.ModelId, metadata?.DefaultModelId))
        {
            throw new EmbedderMismatchException(expected, Describe(generator), $"model '{metadata!.DefaultModelId}' is not '{expected.ModelId}'");
        }

        if (metadata?.DefaultModelDimensions is { } dimension && dimension != expected.Dimension)
        {
            throw new EmbedderMismatchException(expected, Describe(generator), $"its vectors have {dimension} dimensions, not {expected.Dimension}");
        }

        static bool Differ(string? expected, string? actual) =>
            expected is not null && actual is not null && !string.Equals(expected, actual, StringComparison.Ordinal);
    }

    /// <summary>Checks the metadata, then embeds the probe sentences and compares their sketch with the recorded one.</summary>
    /// <param name="expected">The embedder the model was trained with.</param>
    /// <param name="generator">The embedder given.</param>
    /// <param name="cancellationToken">Cancels embedding the probes.</param>
    /// <returns>A task that completes when the embedder is verified.</returns>
    /// <exception cref="EmbedderMismatchException">They differ.</exception>
    public static async Task VerifyAsync(TextEmbedderInfo expected, IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken = default)
    {
        CheckMetadata(expected, generator);
        if (expected.Probe is not { Scheme: ProbeScheme } probe)
        {
            // Runs written before probes were recorded (or by a newer scheme) are checked by metadata only.
            return;
        }

        var (dimension, sketch) = await SketchAsync(generator, cancellationToken).ConfigureAwait(false);
        if (dimension != expected.Dimension)
        {
            throw new EmbedderMismatchException(expected, Describe(generator), $"its vectors have {dimension} dimensions, not {expected.Dimension}");
        }

        if (sketch.Count != probe.Values.Count)
        {
            throw new EmbedderMismatchException(expected, Describe(generator), $"the run's probe sketch has {probe.Values.Count} values, this embedder's {sketch.Count}");
        }

        var worst = 0.0;
        for (var i = 0; i < sketch.Count; i++)
        {
            worst = Math.Max(worst, Math.Abs(sketch[i] - probe.Values[i]));
        }

        if (!(worst <= probe.Tolerance))
        {
            throw new EmbedderMismatchException(
                expected,
                Describe(generator),
                $"its vectors for the probe sentences differ from the run's (largest projection difference {worst:G3}, tolerance {probe.Tolerance:G3})");
        }
    }

    /// <summary>The probe sketch of an embedder.</summary>
    /// <param name="generator">The embedder.</param>
    /// <param name="cancellationToken">Cancels embedding.</param>
    /// <returns>The vector length and the projections.</returns>
    internal static async Task<(int Dimension, IReadOnlyList<double> Sketch)> SketchAsync(IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken)
    {
        var embeddings = await generator.GenerateAsync(ProbeSentences, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (embeddings.Count != ProbeSentences.Count)
        {
            throw new InvalidOperationException($"the embedder returned {embeddings.Count} vectors for {ProbeSentences.Count} probe sentences");
        }

        var dimension = embeddings[0].Vector.Length;
        var directions = DirectionsByDimension.GetOrAdd(dimension, CreateDirections);
        var sketch = new List<double>(ProbeSentences.Count * Directions);
        foreach (var embedding in embeddings)
        {
            var vector = embedding.Vector.Span;
            if (vector.Length != dimension)
            {
                throw new InvalidOperationException($"the embedder returned vectors of {vector.Length} and {dimension} dimensions");
            }

            double norm = 0;
            foreach (var x in vector)
            {
                norm += (double)x * x;
            }

            var scale = norm > 0 ? 1 / Math.Sqrt(norm) : 0;
            foreach (var direction in directions)
            {
                double dot = 0;
                for (var i = 0; i < dimension; i++)
                {
                    dot += vector[i] * direction[i];
                }

                sketch.Add(Math.Round(dot * scale, 6));
            }
        }

        return (dimension, sketch);
    }

    private static double[][] CreateDirections(int dimension)
    {
        // Uniform components from splitmix64, normalised: integer arithmetic and IEEE division and square root only,
        // so every machine and runtime builds the same directions.
        var directions = new double[Directions][];
        var state = 0x5EED_0001UL;
        for (var k = 0; k < Directions; k++)
        {
            var direction = new double[dimension];
            double norm = 0;
            for (var i = 0; i < dimension; i++)
            {
                state += 0x9E3779B97F4A7C15;
                var z = state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
                z ^= z >> 31;
                direction[i] = ((z >> 11) * (1.0 / (1UL << 53)) * 2) - 1;
                norm += direction[i] * direction[i];
            }

            var scale = 1 / Math.Sqrt(norm);
            for (var i = 0; i < dimension; i++)
            {
                direction[i] *= scale;
            }

            directions[k] = direction;
        }

        return directions;
    }
}
