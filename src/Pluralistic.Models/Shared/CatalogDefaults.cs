using Pluralistic.Torch;

namespace Pluralistic.Models;

/// <summary>Applies a <see cref="PluralisticContext"/>'s runtime (seed, device, threads) to trainer options that leave them to it.</summary>
internal static class CatalogDefaults
{
    public static T Apply<T>(PluralisticContext context, T options)
        where T : RewardTrainerOptions
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return (T)options.WithRuntime(context.Runtime);
    }
}
