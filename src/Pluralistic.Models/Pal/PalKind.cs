using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>PAL as a model kind.</summary>
internal sealed class PalKind : TorchRewardModelKind<PalOptions, PalRewardModel>
{
    public static PalKind Instance { get; } = new();

    public override string Name => PalRewardModel.KindName;

    public override string DisplayName => "PAL";

    public override string Summary => "ideal points over K shared prototypes; few-shot new users";

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.Choice<PalOptions>("--variant", "pal: a (distance to a fixed ideal point) or b (prompt-conditioned ideal point; default).", ["a", "b"], (o, v) => o with { Variant = v == "a" ? PalVariant.A : PalVariant.B }),
        KindFlag.WholeNumber<PalOptions>("--prototypes", "pal: number of shared prototypes K (default: 32 without prompts, 4 with).", (o, v) => o with { Prototypes = v }),
    ];

    protected override JsonTypeInfo<PalOptions> OptionsJson => PalOptionsJson.Default.PalOptions;

    protected override IReadOnlyDictionary<string, string> RenamedOptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["adapt_steps"] = "adaptation_steps",
        ["adapt_learning_rate"] = "adaptation_learning_rate",
        ["adapt_prior_strength"] = "adaptation_prior_strength",
    };

    public override PalOptions DefaultOptions() => new();

    public override PalTrainer CreateTrainer(PalOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, PalOptions options) =>
        new PalNetwork(shape.ResponseDimension, shape.PromptDimension, options);

    public override PalRewardModel CreateModel(nn.Module network, PalOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((PalNetwork)network, info, options, store, device);

    protected override string Describe(ModelShape shape, PalOptions options) =>
        $"PAL-{options.Variant}, K = {options.Prototypes} prototypes, {options.PreferenceDimension}-d preference space";
}

/// <summary>Source-generated JSON of <see cref="PalOptions"/> in run manifests (snake_case keys, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(PalOptions))]
internal sealed partial class PalOptionsJson : JsonSerializerContext;
