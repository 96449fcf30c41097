using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Dpa;

/// <summary>DPA as a model kind.</summary>
internal sealed class DpaKind : TorchRewardModelKind<DpaOptions, DpaRewardModel>
{
    public static DpaKind Instance { get; } = new();

    public override string Name => DpaRewardModel.KindName;

    public override string DisplayName => "DPA";

    public override string Summary => "multi-objective reward vector and a per-user unit direction";

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.WholeNumber<DpaOptions>("--objectives", "dpa: number of latent objectives learned from pairs when the data has no ratings (default 8; with ratings the data's objectives are used).", (o, v) => o with { Objectives = v }),
    ];

    protected override JsonTypeInfo<DpaOptions> OptionsJson => DpaOptionsJson.Default.DpaOptions;

    public override DpaOptions DefaultOptions() => new();

    public override DpaTrainer CreateTrainer(DpaOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, DpaOptions options) =>
        new DpaNetwork(shape.ResponseDimension, shape.PromptDimension, shape.ObjectiveNames.Count, latent: !options.UseRatings, options);

    public override DpaRewardModel CreateModel(nn.Module network, DpaOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((DpaNetwork)network, options, info, store, device);

    protected override void CheckLoadable(ModelShape shape, DpaOptions options)
    {
        if (shape.ObjectiveNames.Count == 0 || (!options.UseRatings && shape.ObjectiveNames.Count != options.Objectives))
        {
            throw new CorruptRunException(Checkpoint.ManifestFile, "the manifest's objective names do not match the DPA options it records");
        }
    }

    protected override string Describe(ModelShape shape, DpaOptions options) => options.UseRatings
        ? $"DPA, {shape.ObjectiveNames.Count} rated objectives ({string.Join(", ", shape.ObjectiveNames)}), {options.Regression} regression{(options.FineTune ? " + pair fine-tuning" : string.Empty)}"
        : $"DPA, {shape.ObjectiveNames.Count} latent objectives learned from pairs, MLP basis [{string.Join(", ", options.HiddenSizes)}]";
}

/// <summary>Source-generated JSON of <see cref="DpaOptions"/> in run manifests (snake_case keys, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(DpaOptions))]
internal sealed partial class DpaOptionsJson : JsonSerializerContext;
