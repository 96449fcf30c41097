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
                var value = parse.GetValue(group.Key) ?? string.Empty;
                var applied = entry.Flag.Apply(options, value);
                if (value == "0" && applied == options && entry.Flag.Apply(options, "1") != options)
                {
                    // 0 is how the options say "the default": a 0 the user typed would be replaced silently.
                    throw new ArgumentException($"{group.Key.Name} 0 means the method's default (chosen from the data); give a positive value or leave the flag out");
                }

                options = applied;
            }
        }

        return options;
    }

    /// <summary>
    /// Names an option property by the flag the user gave for it (for error messages): the flags given are applied
    /// one at a time to <paramref name="options"/> and the properties each changes are named after it.
    /// </summary>
    public Func<string, string> FlagNames(RewardTrainerOptions options, ParseResult parse)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { ["Epochs"] = "--epochs", ["EarlyStoppingPatience"] = "--patience", ["Threads"] = "--threads" };
        var properties = options.GetType().GetProperties();
        foreach (var group in Given(parse))
        {
            var entry = group.FirstOrDefault(f => f.Kind.OptionsType.IsInstanceOfType(options));
            if (entry.Flag is null || entry.Flag.IsSwitch)
            {
                continue;
            }

            var applied = entry.Flag.Apply(options, parse.GetValue(group.Key) ?? string.Empty);
            foreach (var property in properties.Where(p => !Equals(p.GetValue(options), p.GetValue(applied))))
            {
                names[property.Name] = group.Key.Name;
            }
        }

        return name => names.TryGetValue(name, out var flag) ? flag : name;
    }

    private IEnumerable<IGrouping<Option<string?>, (Option<string?> Option, RewardModelKind Kind, KindFlag Flag)>> Given(ParseResult parse) =>
        _flags.GroupBy(f => f.Option).Where(g => parse.GetResult(g.Key) is not null);
}
