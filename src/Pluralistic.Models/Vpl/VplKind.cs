using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>VPL as a model kind.</summary>
internal sealed class VplKind : TorchRewardModelKind<VplOptions, VplRewardModel>
{
    public static VplKind Instance { get; } = new();

    public override string Name => VplRewardModel.KindName;

    public override string DisplayName => "VPL";

    public override string Summary => "variational user latent inferred from a few labelled pairs";

    /// <inheritdoc />
    public override int? QuickEpochs => 25;

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.WholeNumber<VplOptions>("--latent", "vpl: latent size (default 16).", (o, v) => o with { LatentSize = v }),
        KindFlag.Number<VplOptions>("--beta", "vpl: KL weight (default 1e-3).", (o, v) => o with { Beta = v }),
        KindFlag.Choice<VplOptions>("--reward-scaling", "vpl: none, or win-probability (rewards comparable across users).", ["none", "win-probability"], (o, v) => o with { RewardScaling = v == "win-probability" ? VplRewardScaling.WinProbability : VplRewardScaling.None }),
        .. EpisodicFlags.For<VplOptions>("vpl"),
    ];

    protected override JsonTypeInfo<VplOptions> OptionsJson => VplOptionsJson.Default.VplOptions;

    protected override IReadOnlyDictionary<string, string> RenamedOptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["mirrored_episodes"] = "mirrored_users",
    };

    public override VplOptions DefaultOptions() => new();

    public override VplTrainer CreateTrainer(VplOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, VplOptions options) =>
        new VplNetwork(shape.ResponseDimension, shape.PromptDimension, options);

    public override VplRewardModel CreateModel(nn.Module network, VplOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((VplNetwork)network, options, info, store, device);

    protected override string Describe(ModelShape shape, VplOptions options) =>
        $"VPL, latent {options.LatentSize}, head [{string.Join(", ", options.HeadHiddenSizes)}], beta {options.Beta:G3}"
        + (options.RewardScaling == VplRewardScaling.WinProbability ? $", rewards as win probability against {options.ReferenceResponses} reference responses" : string.Empty);
}

/// <summary>Source-generated JSON of <see cref="VplOptions"/> in run manifests (snake_case keys, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(VplOptions))]
internal sealed partial class VplOptionsJson : JsonSerializerContext;
