using Pluralistic.Torch;

namespace Pluralistic.Models;

/// <summary>Applies a <see cref="PluralisticContext"/>'s seed, device and threads to trainer options that left them at their defaults.</summary>
internal static class CatalogDefaults
{
    public static T Apply<T>(PluralisticContext context, T options)
        where T : RewardTrainerOptions
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            Seed = options.Seed == 0 ? context.Seed : options.Seed,
            Device = options.Device == "auto" ? context.Device : options.Device,
            Threads = options.Threads == 0 ? context.Threads : options.Threads,
        };
    }
}
