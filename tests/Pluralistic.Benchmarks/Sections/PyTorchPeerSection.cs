using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Running;
using Pluralistic.Evaluation;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// The scoring section's Bradley-Terry rows and raw matmul beside PyTorch eager on the same head (the trained
/// model's weights, exported) and the same shapes and thread count: a small Python script (PyTorch/pytorch_peer.py)
/// run as a child process. Skipped with a note where python3 or torch is absent.
/// </summary>
internal sealed class PyTorchPeerSection : BenchmarkSection
{
    /// <summary>The documented set-up of the peer on Debian.</summary>
    internal const string SetupCommand = "apt-get install -y python3-torch libopenblas0-pthread";

    public override string Id => "pytorch";

    public override string Title => "PyTorch eager as a peer: the same BT head and a linear per-user reward";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var script = Path.Combine(AppContext.BaseDirectory, "PyTorch", "pytorch_peer.py");
        var probe = await RunPythonAsync(python, ["-c", "import torch; print(torch.__version__)"], TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (probe.ExitCode != 0)
        {
            return $"Skipped: `{python}` with `torch` is not available here ({probe.Error.Trim().Split('\n').LastOrDefault() ?? "no output"}). Set-up on Debian: `{SetupCommand}` (without OpenBLAS, Debian's torch falls back to the reference BLAS and is 20-100x slower), then rerun with `--sections {Id}`.\n";
        }

        context.Log("  pytorch: preparing bt");
        var defaultThreads = get_num_threads();
        var folder = Directory.CreateTempSubdirectory("pluralistic-pytorch-peer");
        ScoringBenchmarks.Model = await ScoringThroughputSection.PrepareAsync(BradleyTerryRewardModel.KindName, context.Seed, cancellationToken).ConfigureAwait(false);
        try
        {
            var model = ScoringBenchmarks.Model;
            var check = ScoringBenchmarks.Population!.SampleResponses(64, seed: 11);
            var user = ScoringBenchmarks.AllUsers[0];
            var sdkRewards = (await model.ScoreAsync([user], check, cancellationToken: cancellationToken).ConfigureAwait(false)).ForUser(0);
            var table = new MarkdownTable()
                .AddColumn("threads", ColumnAlignment.Right)
                .AddColumn("responses x users")
                .AddColumn("SDK bt `ScoreAsync`", ColumnAlignment.Right)
                .AddColumn("PyTorch bt head", ColumnAlignment.Right)
                .AddColumn("SDK / PyTorch", ColumnAlignment.Right)
                .AddColumn("TorchSharp matmul", ColumnAlignment.Right)
                .AddColumn("PyTorch matmul", ColumnAlignment.Right)
                .AddColumn("TorchSharp / PyTorch", ColumnAlignment.Right);
            JsonNode? result = null;
            var difference = 0.0;

            // One thread (a reward server's setting) and libtorch's default; both sides always at the same count.
            foreach (var threads in new[] { 1, defaultThreads }.Distinct())
            {
                TorchRuntime.SetThreads(threads);
                WriteInputs(folder.FullName, model.SerializeWeights(), check, threads, context.Quick);
                context.Log($"  pytorch: timing the SDK at {threads} thread(s) (BenchmarkDotNet)");
                var summary = BenchmarkRunner.Run<ScoringBenchmarks>(ScoringThroughputSection.Config(context.Quick));

                context.Log($"  pytorch: timing PyTorch eager at {threads} thread(s)");
                var peer = await RunPythonAsync(python, [script, folder.FullName], TimeSpan.FromMinutes(10), cancellationToken, threads).ConfigureAwait(false);
                if (peer.ExitCode != 0)
                {
                    throw new InvalidOperationException($"{script} failed ({peer.ExitCode}) on {File.ReadAllText(Path.Combine(folder.FullName, "manifest.json"))}: {peer.Error}");
                }

                result = JsonNode.Parse(peer.Output)!;
                var peerRewards = result["check_rewards"]!.AsArray().Select(r => r!.GetValue<double>()).ToArray();
                difference = Math.Max(difference, sdkRewards.Zip(peerRewards).Max(p => Math.Abs(p.First - p.Second)));
                foreach (var shape in result["shapes"]!.AsArray())
                {
                    var m = shape!["responses"]!.GetValue<int>();
                    var n = shape["users"]!.GetValue<int>();
                    var sdkHead = ScoringThroughputSection.Median(summary, nameof(ScoringBenchmarks.Score), m, n);
                    var sdkMatmul = ScoringThroughputSection.Median(summary, nameof(ScoringBenchmarks.RawMatmul), m, n);
                    var peerHead = shape["head_ns"]!.GetValue<double>();
                    var peerMatmul = shape["matmul_ns"]!.GetValue<double>();
                    table.AddRow(
                        result["threads"]!.ToString(),
                        $"{m} x {n}",
                        ScoringThroughputSection.Duration(sdkHead),
                        ScoringThroughputSection.Duration(peerHead),
                        Ratio(sdkHead, peerHead),
                        ScoringThroughputSection.Duration(sdkMatmul),
                        ScoringThroughputSection.Duration(peerMatmul),
                        Ratio(sdkMatmul, peerMatmul));
                }
            }

            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"The scoring section's Bradley-Terry model (768-d responses, head {HeadShape(model)}, trained as there) and its raw matmul `[M, 768] x [768, N]`, beside PyTorch {result!["torch"]} eager (`tests/Pluralistic.Benchmarks/PyTorch/pytorch_peer.py`, run by `{python}`) on the same head — the SDK model's weights exported as raw float32 — and the same shapes, at 1 thread and at libtorch's default of {defaultThreads}, both sides at the same count (`torch.set_num_threads` in the SDK and in PyTorch, and `OMP_NUM_THREADS` / `OPENBLAS_NUM_THREADS` for PyTorch's BLAS). BLAS loaded by PyTorch: {result["blas"]}. The SDK side is BenchmarkDotNet ({(context.Quick ? "dry" : "short")} run, in-process); PyTorch's figures are medians of repeated calls after a warm-up (`time.perf_counter_ns`, up to 2 s per case). PyTorch's head materialises the same [M, N] matrix of rewards the SDK returns (`head(x).unsqueeze(1).expand(M, N).contiguous()`); the SDK's time also covers resolving the users' states and copying the rewards into managed memory.");
            text.AppendLine();
            text.AppendLine(table.ToString());
            text.AppendLine(CultureInfo.InvariantCulture, $"Same head: on {check.Count} responses the SDK's and PyTorch's rewards differ by at most {difference:G3} (largest |reward| {sdkRewards.Max(r => Math.Abs(r)):G3}).");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Set-up (Debian): `{SetupCommand}`; without python3 and torch the section is skipped with a note. Without OpenBLAS Debian's torch uses the reference BLAS and is 20-100x slower, so the BLAS line above must name OpenBLAS for the comparison to be fair. With more than one thread on a busy machine both libraries' thread pools wait for cores, and single small calls become erratic: read the 1-thread rows there.");
            return text.ToString();
        }
        finally
        {
            TorchRuntime.SetThreads(defaultThreads);
            ScoringBenchmarks.Model.Dispose();
            ScoringBenchmarks.Model = null;
            folder.Delete(recursive: true);
        }
    }

    private static string Ratio(double sdk, double peer) =>
        double.IsNaN(sdk) || peer <= 0 ? "-" : (sdk / peer).ToString("F1", CultureInfo.InvariantCulture) + "x";

    private static string HeadShape(TorchUserRewardModel model)
    {
        var layers = HeadLayers(model.SerializeWeights()).Where(p => p.Name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
        return string.Join(" -> ", layers.Select(l => l.Shape[1]).Append(layers[^1].Shape[0])) + $" ({new BradleyTerryOptions().Activation})";
    }

    // The manifest, the head's layers as raw little-endian float32 files, and the check responses.
    private static void WriteInputs(string folder, byte[] weights, ResponseBatch check, int threads, bool quick)
    {
        var layers = new JsonArray();
        foreach (var group in HeadLayers(weights).GroupBy(p => p.Name[..p.Name.LastIndexOf('.')]))
        {
            var layer = new JsonObject();
            foreach (var (name, shape, values) in group)
            {
                var kind = name[(name.LastIndexOf('.') + 1)..];
                var file = name + ".bin";
                File.WriteAllBytes(Path.Combine(folder, file), FloatBytes(values));
                layer[kind] = file;
                layer[kind + "_shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray());
            }

            layers.Add(layer);
        }

        var inputs = check.Dimension + check.PromptDimension;
        var rows = new float[check.Count * inputs];
        for (var i = 0; i < check.Count; i++)
        {
            check.Responses.Span.Slice(i * check.Dimension, check.Dimension).CopyTo(rows.AsSpan(i * inputs));
            if (check.PromptDimension > 0)
            {
                check.Prompts.Span.Slice(i * check.PromptDimension, check.PromptDimension).CopyTo(rows.AsSpan((i * inputs) + check.Dimension));
            }
        }

        File.WriteAllBytes(Path.Combine(folder, "check.bin"), FloatBytes(rows));
        var manifest = new JsonObject
        {
            ["threads"] = threads,
            ["dimension"] = ScoringThroughputSection.Dimension,
            ["shapes"] = new JsonArray(ScoringThroughputSection.Shapes.Select(s => (JsonNode)new JsonArray(s.Responses, s.Users)).ToArray()),
            ["activation"] = new BradleyTerryOptions().Activation.ToString().ToLowerInvariant(),
            ["layers"] = layers,
            ["check"] = "check.bin",
            ["check_rows"] = check.Count,
            ["budget_seconds"] = quick ? 0.2 : 2.0,
        };
        File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString());
    }

    private static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    // The head's linear layers in order: the MLP's layer list (its output layer is also registered under a second name).
    private static IEnumerable<(string Name, long[] Shape, float[] Values)> HeadLayers(byte[] weights) =>
        ReadStateDict(weights).Where(p => p.Name.Contains(".layers.", StringComparison.Ordinal));

    /// <summary>
    /// TorchSharp's state-dict format (what <c>SerializeWeights</c> returns): a LEB128 entry count, then per entry the
    /// key (a length-prefixed UTF-8 string), the element type, the rank and the dimensions (LEB128) and the raw data.
    /// </summary>
    private static List<(string Name, long[] Shape, float[] Values)> ReadStateDict(byte[] weights)
    {
        using var reader = new BinaryReader(new MemoryStream(weights), Encoding.UTF8);
        var count = ReadLeb128(reader);
        var entries = new List<(string, long[], float[])>();
        for (var e = 0L; e < count; e++)
        {
            var name = reader.ReadString();
            var type = ReadLeb128(reader);
            if (type != (long)ScalarType.Float32)
            {
                throw new InvalidDataException($"{name}: element type {type}, expected float32");
            }

            var shape = new long[ReadLeb128(reader)];
            for (var d = 0; d < shape.Length; d++)
            {
                shape[d] = ReadLeb128(reader);
            }

            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            Buffer.BlockCopy(reader.ReadBytes(values.Length * sizeof(float)), 0, values, 0, values.Length * sizeof(float));
            entries.Add((name, shape, values));
        }

        return entries;
    }

    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunPythonAsync(
        string python, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, int threads = 1)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            var output = process.StandardOutput.ReadToEndAsync(limit.Token);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, string.Empty, exception.Message);
        }
    }
}
