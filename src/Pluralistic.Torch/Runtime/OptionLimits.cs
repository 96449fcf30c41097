using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Pluralistic.Torch;

/// <summary>
/// Upper bounds on trainer options, checked before anything is allocated: an absurd value (a billion-wide latent, a
/// hundred million prototypes, a hundred million adaptation steps) would otherwise abort the process inside libtorch
/// or run for days. Every integer option of every kind is bounded by what its name says it is (a width, a count, a
/// number of iterations or of pairs), and the model's parameters are estimated from the widest layer, the largest
/// count and the data's dimension, and refused above <see cref="MaxParameterBytes"/>. The limits are far above any
/// configuration the SDK's methods are meant for; they exist so that a typo fails in one line instead of a crash.
/// </summary>
public static class OptionLimits
{
    /// <summary>Most units in any layer: hidden sizes, latent, preference, summary and encoder widths, features.</summary>
    public const int MaxWidth = 65_536;

    /// <summary>Most of anything counted: prototypes, groups, heads, objectives, posterior samples, reference responses.</summary>
    public const int MaxCount = 4_096;

    /// <summary>Most iterations of any loop: epochs, adaptation steps, EM or direction iterations, patience.</summary>
    public const int MaxIterations = 100_000;

    /// <summary>Most pairs in a batch, an episode or a user's retained evidence.</summary>
    public const int MaxPairs = 1_000_000;

    /// <summary>Most pairs of evidence retained per user (each costs about two response vectors per user in the store).</summary>
    public const int MaxEvidence = 10_000;

    /// <summary>Most libtorch threads.</summary>
    public const int MaxThreads = 1_024;

    /// <summary>Most bytes of float32 parameters a model may be estimated to need: 8 GiB.</summary>
    public const long MaxParameterBytes = 8L << 30;

    private enum Category
    {
        Width,
        Count,
        Iterations,
        Pairs,
        Evidence,
        Threads,
        Unbounded,
    }

    /// <summary>Checks options against the limits.</summary>
    /// <param name="options">The options (of any kind).</param>
    /// <param name="responseDimension">The data's response vector length (0 when not known yet).</param>
    /// <param name="promptDimension">The data's prompt vector length (0: none or not known).</param>
    /// <param name="nameOf">How to name an option in the message (a CLI flag, a manifest key); the property name when null.</param>
    /// <exception cref="OptionLimitException">An option is above its limit, or the model estimated too large.</exception>
    public static void Check(RewardTrainerOptions options, int responseDimension = 0, int promptDimension = 0, Func<string, string>? nameOf = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        nameOf ??= name => name;
        var widest = (Name: (string?)null, Value: 1L);
        var largestCount = (Name: (string?)null, Value: 1L);
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var category = Classify(property.Name);
            if (category == Category.Unbounded)
            {
                continue;
            }

            foreach (var value in Values(property.GetValue(options)))
            {
                var limit = category switch
                {
                    Category.Width => MaxWidth,
                    Category.Count => MaxCount,
                    Category.Iterations => MaxIterations,
                    Category.Pairs => MaxPairs,
                    Category.Evidence => MaxEvidence,
                    _ => MaxThreads,
                };
                if (value > limit)
                {
                    var name = nameOf(property.Name);
                    throw new OptionLimitException(
                        name,
                        string.Create(CultureInfo.InvariantCulture, $"{name} = {value} is above the limit of {limit:N0} ({nameof(OptionLimits)}.{LimitName(category)}); use a smaller value"));
                }

                if (category == Category.Width && value > widest.Value)
                {
                    widest = (property.Name, value);
                }
                else if (IsCopies(property.Name) && value > largestCount.Value)
                {
                    largestCount = (property.Name, value);
                }
            }
        }

        // Every method is a few dense layers from the data's vectors to its widest layer and on, repeated at most once
        // per prototype, group or head: the product bounds its float32 parameters from above, within a small factor.
        var input = Math.Max(1, Math.Max(responseDimension, promptDimension));
        var parameters = largestCount.Value * (input + widest.Value) * widest.Value * 2;
        var bytes = parameters * sizeof(float);
        if (bytes > MaxParameterBytes)
        {
            var blamed = widest.Name ?? largestCount.Name ?? "the data's dimension";
            var name = widest.Name is null && largestCount.Name is null ? blamed : nameOf(blamed);
            throw new OptionLimitException(
                name,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name} makes a model of about {bytes / (1024.0 * 1024 * 1024):F1} GiB of parameters (widest layer {widest.Value:N0}, {largestCount.Value:N0} copies, {input:N0}-long input vectors), above the limit of {MaxParameterBytes >> 30} GiB ({nameof(OptionLimits)}.{nameof(MaxParameterBytes)}); use smaller values"));
        }
    }

    private static Category Classify(string name) => name switch
    {
        "Seed" => Category.Unbounded,
        "Threads" => Category.Threads,
        "EvidenceCapacity" => Category.Evidence,
        "Prototypes" or "Groups" or "MinGroups" or "MaxGroups" or "AttentionHeads" or "Objectives" or "PosteriorSamples" or "ReferenceResponses" => Category.Count,
        "BatchSize" or "MinContextPairs" or "MaxContextPairs" or "QueriesPerEpisode" => Category.Pairs,
        _ when name.EndsWith("Steps", StringComparison.Ordinal) || name.EndsWith("Iterations", StringComparison.Ordinal)
            || name.EndsWith("Cycles", StringComparison.Ordinal) || name is "Epochs" or "EarlyStoppingPatience" => Category.Iterations,
        _ => Category.Width,
    };

    // Counts that multiply a model's layers (a prompt projector per prototype, a head per group or objective); other
    // counts (attention heads split a layer, samples and reference responses are not parameters) do not.
    private static bool IsCopies(string name) => name is "Prototypes" or "Groups" or "MaxGroups" or "Objectives";

    private static string LimitName(Category category) => category switch
    {
        Category.Width => nameof(MaxWidth),
        Category.Count => nameof(MaxCount),
        Category.Iterations => nameof(MaxIterations),
        Category.Pairs => nameof(MaxPairs),
        Category.Evidence => nameof(MaxEvidence),
        _ => nameof(MaxThreads),
    };

    // The integer values of a property: an int, an int?, or a list of ints (hidden sizes); anything else has none.
    private static IEnumerable<long> Values(object? value) => value switch
    {
        int single => [single],
        long wide => [wide],
        IEnumerable<int> list => list.Select(v => (long)v),
        string => [],
        IEnumerable => [],
        _ => [],
    };
}

/// <summary>A trainer option is above its limit (<see cref="OptionLimits"/>); the message names the option and the limit.</summary>
public sealed class OptionLimitException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="option">The option, as the caller names it (a flag, a manifest key, a property).</param>
    /// <param name="message">What is wrong.</param>
    public OptionLimitException(string option, string message)
        : base(message)
    {
        Option = option;
    }

    /// <summary>The option, as the caller names it.</summary>
    public string Option { get; }
}
