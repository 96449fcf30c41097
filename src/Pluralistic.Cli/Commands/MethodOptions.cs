using System.CommandLine;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.MaxMin;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;
using Pluralistic.Torch;

namespace Pluralistic.Cli.Commands;

/// <summary>
/// The method-specific flags of <c>train</c>: each belongs to one model kind and maps onto that kind's options record.
/// A flag given with another kind is an error that names the kind it belongs to.
/// </summary>
internal sealed class MethodOptions
{
    private readonly List<(Option Option, string Kind, Type OptionsType, Func<RewardTrainerOptions, ParseResult, RewardTrainerOptions> Apply)> _flags = [];

    public MethodOptions()
    {
        var head = new Option<string?>("--head") { Description = "bt: the reward head, linear or mlp (default mlp)." };
        head.AcceptOnlyFromAmong("linear", "mlp");
        Add<BradleyTerryOptions, string?>(head, "bt", (o, v) => o with { Head = v == "linear" ? RewardHead.Linear : RewardHead.Mlp });

        var variant = new Option<string?>("--variant") { Description = "pal: a (distance to a fixed ideal point) or b (prompt-conditioned ideal point; default)." };
        variant.AcceptOnlyFromAmong("a", "b");
        Add<PalOptions, string?>(variant, "pal", (o, v) => o with { Variant = v == "a" ? PalVariant.A : PalVariant.B });
        Add<PalOptions, int?>(new Option<int?>("--prototypes") { Description = "pal: number of shared prototypes K (default: 32 without prompts, 4 with)." }, "pal", (o, v) => o with { Prototypes = v!.Value });

        Add<VplOptions, int?>(new Option<int?>("--latent") { Description = "vpl: latent size (default 16)." }, "vpl", (o, v) => o with { LatentSize = v!.Value });
        Add<VplOptions, double?>(new Option<double?>("--beta") { Description = "vpl: KL weight (default 1e-3)." }, "vpl", (o, v) => o with { Beta = v!.Value });
        Add<VplOptions, int?>(new Option<int?>("--context-min") { Description = "vpl: smallest training context (default 2)." }, "vpl", (o, v) => o with { MinContextPairs = v!.Value });
        // --context-max is shared: VPL and FSPO both train on contexts of random size up to it.
        var contextMax = new Option<int?>("--context-max") { Description = "vpl, fspo: largest training context (default 20)." };
        Add<VplOptions, int?>(contextMax, "vpl", (o, v) => o with { MaxContextPairs = v!.Value });
        Add<FspoOptions, int?>(contextMax, "fspo", (o, v) => o with { MaxContextPairs = v!.Value });
        var scaling = new Option<string?>("--reward-scaling") { Description = "vpl: none, or win-probability (rewards comparable across users)." };
        scaling.AcceptOnlyFromAmong("none", "win-probability");
        Add<VplOptions, string?>(scaling, "vpl", (o, v) => o with { RewardScaling = v == "win-probability" ? VplRewardScaling.WinProbability : VplRewardScaling.None });

        Add<FspoOptions, double?>(new Option<double?>("--mirror") { Description = "fspo: probability an episode is a mirrored user, labels flipped in context and queries (default 0.1)." }, "fspo", (o, v) => o with { MirroredUsers = v!.Value });
        // --adaptation-steps is shared: VPL and FSPO both fit a user's state to their context with learned steps.
        var adaptationSteps = new Option<int?>("--adaptation-steps") { Description = "vpl, fspo: meta-trained gradient steps that fit a user's state to their context pairs (default 5; 0: vpl one encoder pass, fspo needs --set-encoder)." };
        Add<VplOptions, int?>(adaptationSteps, "vpl", (o, v) => o with { AdaptationSteps = v!.Value });
        Add<FspoOptions, int?>(adaptationSteps, "fspo", (o, v) => o with { AdaptationSteps = v!.Value });
        Add<FspoOptions, bool?>(new Option<bool?>("--set-encoder") { Description = "fspo: start each user from an attention set encoder's reading of their context pairs instead of the population summary." }, "fspo", (o, v) => o with { SetEncoder = v!.Value });
        Add<FspoOptions, int?>(new Option<int?>("--summary") { Description = "fspo: length of the context summary (default 32)." }, "fspo", (o, v) => o with { SummarySize = v!.Value });
        Add<DpaOptions, int?>(new Option<int?>("--objectives") { Description = "dpa: number of latent objectives learned from pairs when the data has no ratings (default 8; with ratings the data's objectives are used)." }, "dpa", (o, v) => o with { Objectives = v!.Value });
        Add<MaxMinOptions, string?>(new Option<string?>("--groups") { Description = "maxmin: number of groups K, or auto (picked by held-out likelihood over 1..5; default 2)." }, "maxmin", (o, v) => o with { Groups = MaxMinOptions.ParseGroups(v!) });
        var eStep = new Option<string?>("--e-step") { Description = "maxmin: hard, soft or hard-map (default hard-map)." };
        eStep.AcceptOnlyFromAmong("hard", "soft", "hard-map");
        Add<MaxMinOptions, string?>(eStep, "maxmin", (o, v) => o with { EStep = v switch { "hard" => MaxMinEStep.Hard, "soft" => MaxMinEStep.Soft, _ => MaxMinEStep.HardMap } });
        var init = new Option<string?>("--init") { Description = "maxmin: kmeans, random or split (default split)." };
        init.AcceptOnlyFromAmong("kmeans", "random", "split");
        Add<MaxMinOptions, string?>(init, "maxmin", (o, v) => o with { Initialization = v switch { "kmeans" => MaxMinInitialization.KMeans, "random" => MaxMinInitialization.Random, _ => MaxMinInitialization.Split } });
        Add<MaxMinOptions, bool?>(new Option<bool?>("--shared-trunk") { Description = "maxmin: the K heads share one hidden trunk." }, "maxmin", (o, v) => o with { SharedTrunk = v!.Value });
    }

    public IEnumerable<Option> Options => _flags.Select(f => f.Option).Distinct();

    /// <summary>Applies the flags the user gave, refusing those of other kinds.</summary>
    public RewardTrainerOptions Apply(string kind, RewardTrainerOptions options, ParseResult parse)
    {
        CheckBelongToAny([kind], parse);
        return ApplyOwn(options, parse);
    }

    /// <summary>Fails on a flag the user gave that belongs to none of <paramref name="kinds"/> (commands that train several kinds).</summary>
    public void CheckBelongToAny(IReadOnlyCollection<string> kinds, ParseResult parse)
    {
        foreach (var group in Given(parse))
        {
            if (!group.Any(f => kinds.Contains(f.Kind)))
            {
                var owners = string.Join(" or ", group.Select(f => $"--model {f.Kind}"));
                throw new ArgumentException(kinds.Count == 1
                    ? $"{group.Key.Name} applies to {owners}, not {kinds.First()}"
                    : $"{group.Key.Name} applies to {owners}, none of the models chosen ({string.Join(", ", kinds)})");
            }
        }
    }

    /// <summary>Applies the flags the user gave that belong to the kind of <paramref name="options"/>, leaving the others for other kinds.</summary>
    public RewardTrainerOptions ApplyOwn(RewardTrainerOptions options, ParseResult parse)
    {
        foreach (var group in Given(parse))
        {
            var entry = group.FirstOrDefault(f => f.OptionsType.IsInstanceOfType(options));
            if (entry.Apply is not null)
            {
                options = entry.Apply(options, parse);
            }
        }

        return options;
    }

    private IEnumerable<IGrouping<Option, (Option Option, string Kind, Type OptionsType, Func<RewardTrainerOptions, ParseResult, RewardTrainerOptions> Apply)>> Given(ParseResult parse) =>
        _flags.GroupBy(f => f.Option).Where(g => parse.GetResult(g.Key) is not null);

    private void Add<TOptions, TValue>(Option<TValue> option, string kind, Func<TOptions, TValue, TOptions> apply)
        where TOptions : RewardTrainerOptions =>
        _flags.Add((option, kind, typeof(TOptions), (options, parse) => apply((TOptions)options, parse.GetValue(option)!)));
}
