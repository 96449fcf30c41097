using System.CommandLine;
using Pluralistic.Torch;

namespace Pluralistic.Cli.Commands;

/// <summary>
/// The method-specific flags of <c>train</c>, read from the kinds' descriptors (<see cref="RewardModelKind.Flags"/>):
/// one command-line option per flag name, shared by every kind that declares it. A flag given with another kind is
/// an error that names the kinds it belongs to.
/// </summary>
internal sealed class MethodOptions
{
    private readonly List<(Option<string?> Option, RewardModelKind Kind, KindFlag Flag)> _flags = [];

    public MethodOptions(RewardModelKindRegistry kinds)
    {
        var options = new Dictionary<string, Option<string?>>(StringComparer.Ordinal);
        foreach (var kind in kinds.All)
        {
            foreach (var flag in kind.Flags)
            {
                if (!options.TryGetValue(flag.Name, out var option))
                {
                    option = new Option<string?>(flag.Name) { Description = flag.Description };
                    if (flag.IsSwitch)
                    {
                        // A switch takes no value: present means on.
                        option.Arity = ArgumentArity.Zero;
                    }
                    else if (flag.AllowedValues is { } allowed)
                    {
                        option.AcceptOnlyFromAmong([.. allowed]);
                    }

                    options[flag.Name] = option;
                }
                else if (!option.Description!.Contains(flag.Description, StringComparison.Ordinal))
                {
                    option.Description += " " + flag.Description;
                }

                _flags.Add((option, kind, flag));
            }
        }
    }

    public IEnumerable<Option> Options => _flags.Select(f => f.Option).Distinct();

    /// <summary>Applies the flags the user gave, refusing those of other kinds.</summary>
    public RewardTrainerOptions Apply(RewardModelKind kind, RewardTrainerOptions options, ParseResult parse)
    {
        CheckBelongToAny([kind.Name], parse);
        return ApplyOwn(options, parse);
    }

    /// <summary>Fails on a flag the user gave that belongs to none of <paramref name="kinds"/> (commands that train several kinds).</summary>
    public void CheckBelongToAny(IReadOnlyCollection<string> kinds, ParseResult parse)
    {
        foreach (var group in Given(parse))
        {
            if (!group.Any(f => kinds.Contains(f.Kind.Name)))
            {
                var owners = string.Join(" or ", group.Select(f => $"--model {f.Kind.Name}"));
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
            var entry = group.FirstOrDefault(f => f.Kind.OptionsType.IsInstanceOfType(options));
            if (entry.Flag is not null)
            {
                options = entry.Flag.Apply(options, parse.GetValue(group.Key) ?? string.Empty);
            }
        }

        return options;
    }

    private IEnumerable<IGrouping<Option<string?>, (Option<string?> Option, RewardModelKind Kind, KindFlag Flag)>> Given(ParseResult parse) =>
        _flags.GroupBy(f => f.Option).Where(g => parse.GetResult(g.Key) is not null);
}
