using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Pluralistic.Data;
using Pluralistic.Evaluation;
using Pluralistic.Models;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// Scoring M responses for N users with each available model, beside a raw TorchSharp matmul of the same shape
/// ([M, d] x [d, N]): how close batched scoring gets to this machine's limit. Measured with BenchmarkDotNet in-process.
/// </summary>
internal sealed class ScoringThroughputSection : BenchmarkSection
{
    internal const int Dimension = 768;

    internal static readonly (int Responses, int Users)[] Shapes = [(64, 1), (64, 1000), (1024, 1000)];

    public override string Id => "scoring";

    public override string Title => "Scoring throughput";

    public override async Task<string> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var table = new MarkdownTable()
            .AddColumn("model")
            .AddColumn("responses x users", ColumnAlignment.Right)
            .AddColumn("median latency", ColumnAlignment.Right)
            .AddColumn("rewards / s", ColumnAlignment.Right)
            .AddColumn("raw matmul, same shape", ColumnAlignment.Right)
            .AddColumn("model / matmul", ColumnAlignment.Right);

        foreach (var kind in RewardModelKinds.BuiltIn.Names)
        {
            context.Log($"  scoring: preparing {kind}");
            ScoringBenchmarks.Model = await PrepareAsync(kind, context.Seed, cancellationToken).ConfigureAwait(false);
            try
            {
                var summary = BenchmarkRunner.Run<ScoringBenchmarks>(Config(context.Quick));
                foreach (var (m, n) in Shapes)
                {
                    var model = Median(summary, nameof(ScoringBenchmarks.Score), m, n);
                    var matmul = Median(summary, nameof(ScoringBenchmarks.RawMatmul), m, n);
                    table.AddRow(
                        kind,
                        $"{m} x {n}",
                        Duration(model),
                        (m * n / (model / 1e9)).ToString("N0", CultureInfo.InvariantCulture),
                        Duration(matmul),
                        (model / matmul).ToString("F1", CultureInfo.InvariantCulture));
                }
            }
            finally
            {
                ScoringBenchmarks.Model.Dispose();
                ScoringBenchmarks.Model = null;
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"`ScoreAsync(users, responses)` on {Dimension}-dimensional responses with user states in an in-memory store (the LiteDB store's cost is measured separately), libtorch at its default {get_num_threads()} threads; *raw matmul* is `[M, {Dimension}] x [{Dimension}, N]` in TorchSharp with the same thread count — the arithmetic a linear per-user reward needs, and this machine's floor for any model. BenchmarkDotNet {(context.Quick ? "dry" : "short")} run, in-process toolchain (its generated project would miss libtorch and the native patch).");
        text.AppendLine();
        text.AppendLine(table.ToString());
        return text.ToString();
    }

    internal static ManualConfig Config(bool quick) => ManualConfig.CreateEmpty()
        .AddJob((quick ? Job.Dry : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance))
        .AddLogger(NullLogger.Instance)
        .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);

    internal static double Median(BenchmarkDotNet.Reports.Summary summary, string method, int m, int n)
    {
        var report = summary.Reports.First(r =>
            r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
            && (int)r.BenchmarkCase.Parameters["Responses"] == m
            && (int)r.BenchmarkCase.Parameters["Users"] == n);
        return report.ResultStatistics?.Median ?? double.NaN;
    }

    internal static string Duration(double nanoseconds) => nanoseconds switch
    {
        double.NaN => "-",
        < 1e6 => (nanoseconds / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " µs",
        _ => (nanoseconds / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " ms",
    };

    /// <summary>A model of the kind trained briefly on 768-dimensional data, with 1000 adapted users (accuracy is not the point here).</summary>
    internal static async Task<TorchUserRewardModel> PrepareAsync(string kindName, int seed, CancellationToken cancellationToken)
    {
        var kind = RewardModelKinds.BuiltIn.Get(kindName);
        var population = SyntheticPopulation.Generate(new SyntheticPopulationOptions
        {
            Preset = "groups",
            Seed = seed,
            ResponseDimension = Dimension,
            SeenUsers = 40,
            TrainPairsPerUser = 20,
            UnseenUsers = 1000,
            UnseenPairsPerUser = 4,
            TestPairsPerSeenUser = 1,
        });
        var options = kind.CreateDefaultOptions() with { Seed = seed, Device = "cpu", Epochs = 2, EvidenceCapacity = 4 };
        var model = kind.Train(options, population.ToDataset(population.Train), cancellationToken: cancellationToken);
        await model.AdaptAsync(population.ToDataset(population.TestUnseen), cancellationToken: cancellationToken).ConfigureAwait(false);
        ScoringBenchmarks.AllUsers = population.UnseenUsers;
        ScoringBenchmarks.Population = population;
        return model;
    }
}

/// <summary>The BenchmarkDotNet benchmarks; the section sets the model before running them.</summary>
public class ScoringBenchmarks
{
    internal static TorchUserRewardModel? Model { get; set; }

    internal static IReadOnlyList<UserId> AllUsers { get; set; } = [];

    internal static SyntheticPopulation? Population { get; set; }

    private IReadOnlyList<UserId> _users = [];
    private ResponseBatch? _responses;
    private Tensor? _left;
    private Tensor? _right;

    [ParamsSource(nameof(ResponseCounts))]
    public int Responses { get; set; }

    [ParamsSource(nameof(UserCounts))]
    public int Users { get; set; }

    public static IEnumerable<int> ResponseCounts => ScoringThroughputSection.Shapes.Select(s => s.Responses).Distinct();

    public static IEnumerable<int> UserCounts => ScoringThroughputSection.Shapes.Select(s => s.Users).Distinct();

    [GlobalSetup]
    public void Setup()
    {
        _users = AllUsers.Take(Users).ToList();
        _responses = Population!.SampleResponses(Responses, seed: 11);
        _left = randn(Responses, ScoringThroughputSection.Dimension).DetachFromDisposeScope();
        _right = randn(ScoringThroughputSection.Dimension, Users).DetachFromDisposeScope();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _left?.Dispose();
        _right?.Dispose();
    }

    [Benchmark]
    public RewardMatrix Score() => Model!.ScoreAsync(_users, _responses!).GetAwaiter().GetResult();

    [Benchmark]
    public float RawMatmul()
    {
        using var scope = NewDisposeScope();
        return _left!.matmul(_right!).data<float>()[0];
    }
}
