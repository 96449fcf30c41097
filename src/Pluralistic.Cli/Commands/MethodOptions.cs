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
        foreach (var group in _flags.GroupBy(f => f.Option))
        {
            if (parse.GetResult(group.Key) is null)
            {
                continue;
            }

            var entry = group.FirstOrDefault(f => f.Kind == kind);
            if (entry.Flag is null)
            {
                throw new ArgumentException($"{group.Key.Name} applies to {string.Join(" or ", group.Select(f => $"--model {f.Kind.Name}"))}, not {kind.Name}");
            }

            options = entry.Flag.Apply(options, parse.GetValue(group.Key) ?? string.Empty);
        }

        return options;
    }
}
