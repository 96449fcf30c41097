using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>FSPO as a model kind.</summary>
internal sealed class FspoKind : TorchRewardModelKind<FspoOptions, FspoRewardModel>
{
    public static FspoKind Instance { get; } = new();

    public override string Name => FspoRewardModel.KindName;

    public override string DisplayName => "FSPO";

    public override string Summary => "meta-learned few-shot reward read from a user's context pairs";

    /// <inheritdoc />
    public override int? QuickEpochs => 40;

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.Switch<FspoOptions>("--set-encoder", "fspo: start each user from an attention set encoder's reading of their context pairs instead of the population summary.", o => o with { SetEncoder = true }),
        KindFlag.WholeNumber<FspoOptions>("--summary", "fspo: length of the context summary (default 32).", (o, v) => o with { SummarySize = v }),
        .. EpisodicFlags.For<FspoOptions>("fspo"),
    ];

    protected override JsonTypeInfo<FspoOptions> OptionsJson => FspoOptionsJson.Default.FspoOptions;

    public override FspoOptions DefaultOptions() => new();

    public override FspoTrainer CreateTrainer(FspoOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, FspoOptions options) =>
        new FspoNetwork(shape.ResponseDimension, shape.PromptDimension, options);

    public override FspoRewardModel CreateModel(nn.Module network, FspoOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((FspoNetwork)network, options, info, store, device);

    protected override string Describe(ModelShape shape, FspoOptions options) =>
        $"FSPO: {Reading(options)} over up to {options.MaxContextPairs} context pairs (meta-trained), {options.SummarySize}-float summary, " +
        $"reward head [{string.Join(", ", options.HeadHiddenSizes)}]";

    private static string Reading(FspoOptions options) => (options.SetEncoder, options.AdaptationSteps) switch
    {
        (true, 0) => "set encoder",
        (true, var steps) => $"set encoder then {steps} adaptation steps",
        (false, var steps) => $"{steps} adaptation steps from the population summary",
    };
}

/// <summary>Source-generated JSON of <see cref="FspoOptions"/> in run manifests (snake_case keys, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(FspoOptions))]
internal sealed partial class FspoOptionsJson : JsonSerializerContext;
