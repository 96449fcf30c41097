using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>The Bradley-Terry baseline as a model kind.</summary>
internal sealed class BradleyTerryKind : TorchRewardModelKind<BradleyTerryOptions, BradleyTerryRewardModel>
{
    public static BradleyTerryKind Instance { get; } = new();

    public override string Name => BradleyTerryRewardModel.KindName;

    public override string DisplayName => "Bradley-Terry baseline";

    public override string Summary => "one reward for everyone; the bar every personalised method must clear";

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.Choice<BradleyTerryOptions>("--head", "bt: the reward head, linear or mlp (default mlp).", ["linear", "mlp"], (o, v) => o with { Head = v == "linear" ? RewardHead.Linear : RewardHead.Mlp }),
    ];

    protected override JsonTypeInfo<BradleyTerryOptions> OptionsJson => BradleyTerryOptionsJson.Default.BradleyTerryOptions;

    public override bool IsPersonalized => false;

    public override BradleyTerryOptions DefaultOptions() => new();

    public override BradleyTerryTrainer CreateTrainer(BradleyTerryOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, BradleyTerryOptions options) =>
        new BradleyTerryNetwork(shape.ResponseDimension, shape.PromptDimension, options);

    public override BradleyTerryRewardModel CreateModel(nn.Module network, BradleyTerryOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((BradleyTerryNetwork)network, info, store, device);

    protected override string Describe(ModelShape shape, BradleyTerryOptions options) => options.Head == RewardHead.Linear
        ? "Bradley-Terry baseline, linear head"
        : $"Bradley-Terry baseline, MLP head [{string.Join(", ", options.HiddenSizes)}]";
}

/// <summary>Source-generated JSON of <see cref="BradleyTerryOptions"/> in run manifests (snake_case keys, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(BradleyTerryOptions))]
internal sealed partial class BradleyTerryOptionsJson : JsonSerializerContext;
