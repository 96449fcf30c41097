using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Data;
using Pluralistic.Models;
using Pluralistic.Runs;
using Pluralistic.Tests.Cli;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using Pluralistic.Tests.Evaluation;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

/// <summary>
/// A method that lives outside the SDK's assemblies (a linear reward with a scale flag, defined in this test assembly)
/// trains through the command line, opens through <see cref="RunDirectory"/> and resolves through dependency injection
/// once it is added to a registry: the registry is open, not a hand-edited list.
/// </summary>
public class OpenKindRegistryTests
{
    private static readonly RewardModelKindRegistry Kinds = RewardModelKinds.BuiltIn.With(ToyKind.Instance);

    [Fact]
    public async Task A_kind_from_another_assembly_trains_through_the_cli_and_predicts_from_its_run()
    {
        using var directory = new TempDirectory();
        var generate = await CliRunner.RunAsync("generate", "--preset", "groups", "--out", directory.File("data"), "--seed", "2", "--seen-users", "20", "--unseen-users", "4", "--dimension", "8");
        Assert.True(generate.ExitCode == 0, generate.Error);
        var train = Path.Combine(directory.Path, "data", "train.jsonl");
        var run = directory.File("run");

        var unknown = await CliRunner.RunAsync("train", "--model", "toy", "--data", train, "--out", run, "--device", "cpu");
        Assert.NotEqual(0, unknown.ExitCode);

        var trained = await CliRunner.RunAsync(Kinds, "train", "--model", "toy", "--data", train, "--out", run, "--device", "cpu", "--toy-scale", "2", "--epochs", "2");
        Assert.True(trained.ExitCode == 0, trained.Error);
        var manifest = await File.ReadAllTextAsync(Path.Combine(run, "manifest.json"));
        Assert.Contains("\"model_kind\": \"toy\"", manifest, StringComparison.Ordinal);

        // The toy's own flag is refused for a built-in kind, and a built-in's for the toy.
        var foreignFlag = await CliRunner.RunAsync(Kinds, "train", "--model", "bt", "--data", train, "--out", directory.File("never"), "--toy-scale", "2");
        Assert.Contains("--toy-scale applies to --model toy", foreignFlag.Error, StringComparison.Ordinal);

        var predicted = await CliRunner.RunAsync(Kinds, "predict", "--run", run, "--data", Path.Combine(directory.Path, "data", "test_seen.jsonl"), "--out", directory.File("p.jsonl"));
        Assert.True(predicted.ExitCode == 0, predicted.Error);

        // Opening needs the registry that knows the kind; without it the error names the kind.
        var ex = Assert.ThrowsAny<Exception>(() => RunDirectory.Open(run, new RunOpenOptions { Device = "cpu" }));
        Assert.Contains("toy", ex.Message, StringComparison.Ordinal);
        using var model = RunDirectory.Open(run, new RunOpenOptions { Device = "cpu", Kinds = Kinds });
        var options = Assert.IsType<ToyOptions>(ToyKind.Instance.ReadOptions(model.GetRequiredService<TorchUserRewardModel>().Info.Options));
        Assert.Equal(2, options.Scale);
        var data = await PreferenceJsonl.LoadDatasetAsync(Path.Combine(directory.Path, "data", "test_seen.jsonl"));
        var scores = await model.ScorePairsAsync(data);
        var lines = await File.ReadAllLinesAsync(directory.File("p.jsonl"));
        Assert.Equal(data.Count, lines.Length);
        using var first = System.Text.Json.JsonDocument.Parse(lines[0]);
        Assert.Equal(scores.RewardChosen[0], first.RootElement.GetProperty("reward_chosen").GetSingle(), 5);
    }

    [Fact]
    public async Task Ablate_measures_a_kind_from_another_assembly_beside_the_baseline()
    {
        using var directory = new TempDirectory();
        var output = directory.File("ablation");

        var ablate = await CliRunner.RunAsync(Kinds, "ablate", "--models", "bt,toy", "--presets", "groups", "--device", "cpu", "--out", output);

        Assert.True(ablate.ExitCode == 0, ablate.Error);
        var report = await File.ReadAllTextAsync(Path.Combine(output, "ablation.md"));
        Assert.Matches(@"\| toy +\| \d+\.\d%", report);
        Assert.Matches(@"\| bt +\| \d+\.\d%", report);
    }

    [Fact]
    public async Task The_container_opens_a_run_of_a_registered_kind()
    {
        using var directory = new TempDirectory();
        var data = OpposingUsers.Generate(users: 8, pairsPerUser: 12, seed: 4);
        using (var trained = ToyKind.Instance.Train(new ToyOptions { Epochs = 2, Device = "cpu", Seed = 1 }, data))
        {
            await RunDirectory.SaveAsync(trained, directory.File("run"));
        }

        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu").AddRewardModelKind(ToyKind.Instance);
        services.AddUserRewardModel(directory.File("run"), o => o.ReadOnly = true);
        using var provider = services.BuildServiceProvider();
        var model = provider.GetRequiredService<IUserRewardModel>();
        Assert.Equal("toy", model.Metadata.Kind);
        var scores = await model.ScorePairsAsync(data);
        Assert.Equal(data.Count, scores.Count);
    }
}

/// <summary>A linear reward scaled by an option: the smallest complete kind.</summary>
public sealed record ToyOptions : RewardTrainerOptions
{
    /// <summary>Multiplies the reward (a flag of the toy's own).</summary>
    public double Scale { get; init; } = 1;
}

[JsonSerializable(typeof(ToyOptions))]
internal sealed partial class ToyOptionsJson : JsonSerializerContext;

internal sealed class ToyNetwork : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly TorchSharp.Modules.Linear linear;
    private readonly double _scale;

    public ToyNetwork(int dimension, double scale)
        : base("toy")
    {
        linear = nn.Linear(dimension, 1, hasBias: false);
        _scale = scale;
        RegisterComponents();
    }

    public override Tensor forward(Tensor responses, Tensor? prompts) => linear.call(responses).squeeze(-1).mul(_scale);
}

public sealed class ToyRewardModel : TorchUserRewardModel
{
    private readonly ToyNetwork _network;

    internal ToyRewardModel(ToyNetwork network, TorchModelInfo info, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;
    }

    private ToyRewardModel(ToyRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
    }

    protected override int StateSize => 0;

    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new ToyRewardModel(this, store);

    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states)
    {
        var rewards = _network.call(responses, prompts);
        return rewards.unsqueeze(1).expand(rewards.shape[0], states.shape[0]);
    }

    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) => _network.call(responses, prompts);

    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken) =>
        evidence.Select(_ => Array.Empty<float>()).ToArray();

    protected override float[] ColdStartState() => [];
}

public sealed class ToyTrainer(ToyOptions? options = null) : TorchRewardTrainer<ToyOptions, ToyRewardModel>(ToyKind.Instance, options)
{
    protected override TrainedPopulation<ToyOptions> TrainPopulation(TrainingSession session, ToyOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var network = session.CreateModule(() => new ToyNetwork(session.Data.ResponseDimension, options.Scale));
        var report = TrainingLoop.Run(new Objective(network, session), options, "train", progress, cancellationToken);
        return new TrainedPopulation<ToyOptions>
        {
            Network = network,
            Report = report,
            SeenUserStates = session.Data.Users.Select(_ => Array.Empty<float>()).ToList(),
        };
    }

    private sealed class Objective(ToyNetwork network, TrainingSession session) : PairwiseObjective(session)
    {
        public override nn.Module Module => network;

        protected override (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch) =>
            (network.call(batch.Chosen, batch.Prompts), network.call(batch.Rejected, batch.Prompts));
    }
}

public sealed class ToyKind : TorchRewardModelKind<ToyOptions, ToyRewardModel>
{
    public static ToyKind Instance { get; } = new();

    public override string Name => "toy";

    public override string DisplayName => "Toy linear reward";

    public override string Summary => "a kind from outside the SDK";

    public override bool IsPersonalized => false;

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.Number<ToyOptions>("--toy-scale", "toy: reward scale.", (o, v) => o with { Scale = v }),
    ];

    protected override JsonTypeInfo<ToyOptions> OptionsJson => ToyOptionsJson.Default.ToyOptions;

    public override ToyOptions DefaultOptions() => new();

    public override ToyTrainer CreateTrainer(ToyOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, ToyOptions options) => new ToyNetwork(shape.ResponseDimension, options.Scale);

    public override ToyRewardModel CreateModel(nn.Module network, ToyOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((ToyNetwork)network, info, store, device);

    protected override string Describe(ModelShape shape, ToyOptions options) => $"toy linear reward x{options.Scale}";
}
