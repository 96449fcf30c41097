using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Text;
using Pluralistic.Text.MiniLM;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Text embedding throughput: the sentence encoder (all-MiniLM-L6-v2 on ONNX Runtime) one sentence per call and 64
/// per call, beside the hashed n-gram generator; no cache in front of either, so every sentence is encoded.
/// </summary>
internal sealed class EmbeddingSection : BenchmarkSection
{
    public override string Id => "embedding";

    public override string Title => "Text embedding throughput";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var window = TimeSpan.FromSeconds(context.Quick ? 2 : 10);
        var sentences = Sentences(context.Seed);
        var table = new MarkdownTable()
            .AddColumn("embedder")
            .AddColumn("sentences per call", ColumnAlignment.Right)
            .AddColumn("sentences", ColumnAlignment.Right)
            .AddColumn("sentences / s", ColumnAlignment.Right)
            .AddColumn("ms per call", ColumnAlignment.Right);

        var load = Stopwatch.StartNew();
        using var minilm = new MiniLmEmbeddingGenerator(new MiniLmOptions { MaxBatchSize = 64 });
        await minilm.GenerateAsync([sentences[0]], cancellationToken: cancellationToken).ConfigureAwait(false);
        var loadSeconds = load.Elapsed.TotalSeconds;
        using var hashed = HashedNgramEmbeddingGenerator.Fit(sentences);

        foreach (var (name, generator) in new (string, IEmbeddingGenerator<string, Embedding<float>>)[] { ("minilm (all-MiniLM-L6-v2, 384-d)", minilm), ("hashed (512-d)", hashed) })
        {
            foreach (var batch in new[] { 1, 64 })
            {
                context.Log($"  embedding: {name}, {batch} per call");
                await MeasureAsync(generator, sentences, batch, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                var (count, calls, elapsed) = await MeasureAsync(generator, sentences, batch, window, cancellationToken).ConfigureAwait(false);
                table.AddRow(
                    name,
                    batch.ToString(CultureInfo.InvariantCulture),
                    count.ToString("N0", CultureInfo.InvariantCulture),
                    (count / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture),
                    (elapsed.TotalMilliseconds / calls).ToString("F2", CultureInfo.InvariantCulture));
            }
        }

        var words = sentences.Average(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{sentences.Count} distinct prompts and replies of the text preset (seed {context.Seed}; {words:F1} words on average), embedded back to back for {window.TotalSeconds:F0} s per row after a 1 s warm-up, in calls of 1 or 64 sentences, with no cache in front (every sentence is encoded). The sentence encoder runs ONNX Runtime with its default intra-op threads (one per core) and encodes up to 64 sentences per ONNX call, grouped by length; loading its model took {loadSeconds:F1} s (once per process). Machine load (1-minute average) when the section started: {LoadAverage()}.");
        text.AppendLine();
        text.AppendLine(table.ToString());
        return text.ToString();
    }

    private static List<string> Sentences(int seed)
    {
        var population = SyntheticTextPopulation.Generate(new SyntheticPopulationOptions { Seed = seed, SeenUsers = 100, UnseenUsers = 10 });
        return population.Train.SelectMany(r => new[] { r.Prompt!, r.Chosen!, r.Rejected! }).Distinct(StringComparer.Ordinal).ToList();
    }

    private static async Task<(int Sentences, int Calls, TimeSpan Elapsed)> MeasureAsync(
        IEmbeddingGenerator<string, Embedding<float>> generator, List<string> sentences, int batch, TimeSpan window, CancellationToken cancellationToken)
    {
        var count = 0;
        var calls = 0;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < window)
        {
            var texts = Enumerable.Range(count, batch).Select(i => sentences[i % sentences.Count]).ToList();
            await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
            count += batch;
            calls++;
        }

        return (count, calls, stopwatch.Elapsed);
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
}
