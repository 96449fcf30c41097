using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>MaxMin as a model kind.</summary>
internal sealed class MaxMinKind : TorchRewardModelKind<MaxMinOptions, MaxMinRewardModel>
{
    public static MaxMinKind Instance { get; } = new();

    public override string Name => MaxMinRewardModel.KindName;

    public override string DisplayName => "MaxMin";

    public override string Summary => "EM mixture of Bradley-Terry heads with egalitarian aggregation";

    public override IReadOnlyList<KindFlag> Flags { get; } =
    [
        KindFlag.Text<MaxMinOptions>("--groups", "maxmin: number of groups K, or auto (picked by held-out likelihood over 1..5; the default).", (o, v) => o with { Groups = MaxMinOptions.ParseGroups(v) }),
        KindFlag.Choice<MaxMinOptions>("--e-step", "maxmin: hard, soft or hard-map (default hard-map).", ["hard", "soft", "hard-map"], (o, v) => o with { EStep = v switch { "hard" => MaxMinEStep.Hard, "soft" => MaxMinEStep.Soft, _ => MaxMinEStep.HardMap } }),
        KindFlag.Choice<MaxMinOptions>("--init", "maxmin: kmeans, random or split (default split).", ["kmeans", "random", "split"], (o, v) => o with { Initialization = v switch { "kmeans" => MaxMinInitialization.KMeans, "random" => MaxMinInitialization.Random, _ => MaxMinInitialization.Split } }),
        KindFlag.Switch<MaxMinOptions>("--shared-trunk", "maxmin: the K heads share one hidden trunk (the default).", o => o with { SharedTrunk = true }),
        KindFlag.Switch<MaxMinOptions>("--independent-heads", "maxmin: every head its own MLP, as in the reference, instead of one shared trunk.", o => o with { SharedTrunk = false }),
    ];

    /// <summary>K for a quick look: choosing K trains every K from 1 to 5, most of MaxMin's default training time.</summary>
    private const int QuickGroups = 2;

    public override RewardTrainerOptions Quicken(RewardTrainerOptions options) =>
        options is MaxMinOptions { IsAutoGroups: true } maxMin ? maxMin with { Groups = QuickGroups } : base.Quicken(options);

    public override string QuickScheduleDescription => $"{Name} K = {QuickGroups} (default: picked by held-out likelihood)";

    protected override JsonTypeInfo<MaxMinOptions> OptionsJson => MaxMinOptionsJson.Default.MaxMinOptions;

    public override MaxMinOptions DefaultOptions() => new();

    public override MaxMinTrainer CreateTrainer(MaxMinOptions? options = null) => new(options);

    public override nn.Module CreateNetwork(ModelShape shape, MaxMinOptions options) =>
        new MaxMinNetwork(shape.ResponseDimension, shape.PromptDimension, options.Groups, options);

    public override MaxMinRewardModel CreateModel(nn.Module network, MaxMinOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        new((MaxMinNetwork)network, info, store, device);

    protected override void CheckLoadable(ModelShape shape, MaxMinOptions options)
    {
        if (options.IsAutoGroups)
        {
            throw new CorruptRunException(Checkpoint.ManifestFile, "the manifest's MaxMin options do not name the number of groups");
        }
    }

    protected override string Describe(ModelShape shape, MaxMinOptions options) =>
        $"MaxMin: {options.Groups} Bradley-Terry heads, {options.EStep.ToString().ToLowerInvariant()} EM, "
        + (options.Head == BradleyTerry.RewardHead.Linear
            ? "linear"
            : $"{(options.SharedTrunk ? "shared MLP trunk" : "MLP heads")} [{string.Join(", ", options.HiddenSizes)}]");
}

/// <summary>Source-generated JSON of <see cref="MaxMinOptions"/> in run manifests (snake_case keys, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(MaxMinOptions))]
internal sealed partial class MaxMinOptionsJson : JsonSerializerContext;
