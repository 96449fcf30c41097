using Pluralistic.Torch;

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
    ];
}
