using Pluralistic.Torch;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Models;

/// <summary>The command-line flags every episodic method shares (one flag, one option name, for each of them).</summary>
internal static class EpisodicFlags
{
    public static IEnumerable<KindFlag> For<TOptions>(string kind)
        where TOptions : EpisodicTrainerOptions =>
    [
        KindFlag.WholeNumber<TOptions>("--context-min", $"{kind}: smallest training context, in pairs.", (o, v) => o with { MinContextPairs = v }),
        KindFlag.WholeNumber<TOptions>("--context-max", $"{kind}: largest training context, in pairs (default 20).", (o, v) => o with { MaxContextPairs = v }),
        KindFlag.Number<TOptions>("--mirror", $"{kind}: share of training episodes that are mirrored users, labels flipped in context and queries.", (o, v) => o with { MirroredUsers = v }),
        KindFlag.WholeNumber<TOptions>("--adaptation-steps", $"{kind}: meta-trained gradient steps that fit a user's state to their context pairs (default 5).", (o, v) => o with { AdaptationSteps = v }),
        KindFlag.Choice<TOptions>(
            "--adaptation-gradient",
            $"{kind}: how training differentiates through the adaptation steps: second-order (through every step, the default), truncated (through the last step only) or first-order (through none); the scores are computed alike, the cheaper forms train faster.",
            ["second-order", "truncated", "first-order"],
            (o, v) => o with
            {
                AdaptationGradient = v switch
                {
                    "first-order" => AdaptationGradient.FirstOrder,
                    "truncated" => AdaptationGradient.TruncatedSecondOrder,
                    _ => AdaptationGradient.SecondOrder,
                },
            }),
    ];
}
