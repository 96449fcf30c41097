using TorchSharp;

namespace Pluralistic.Torch;

/// <summary>Device choice, thread count and seeding for TorchSharp work.</summary>
public static class TorchRuntime
{
    private static readonly Lock ThreadsLock = new();

    /// <summary>
    /// Resolves a device name: <c>cpu</c>, <c>cuda</c> (or <c>cuda:N</c>), or <c>auto</c> (CUDA when a CUDA backend is
    /// installed and a GPU is visible, else CPU).
    /// </summary>
    /// <param name="name">The device name; <see langword="null"/> or empty means <c>auto</c>.</param>
    /// <returns>The device.</returns>
    /// <exception cref="PluralisticException">CUDA was asked for and is not available.</exception>
    public static torch.Device ResolveDevice(string? name)
    {
        var wanted = string.IsNullOrWhiteSpace(name) ? "auto" : name.Trim().ToLowerInvariant();
        if (wanted == "auto")
        {
            return CudaAvailable() ? torch.CUDA : torch.CPU;
        }

        if (wanted == "cpu")
        {
            return torch.CPU;
        }

        if (wanted.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!CudaAvailable())
            {
                throw new PluralisticException(
                    $"device '{name}' was requested but CUDA is not available: this process loaded a CPU-only libtorch " +
                    "backend or sees no GPU (reference a libtorch CUDA package in the application, or use --device cpu)");
            }

            return new torch.Device(wanted);
        }

        throw new PluralisticException($"unknown device '{name}'; use cpu, cuda, cuda:N or auto");
    }

    /// <summary>Whether a CUDA device can be used.</summary>
    /// <returns>True when CUDA is usable.</returns>
    public static bool CudaAvailable()
    {
        try
        {
            return torch.cuda.is_available();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sets libtorch's intra-op thread count (process-wide). libtorch's threads and the .NET thread pool compete for
    /// cores, so servers that score from many requests at once often do best with 1.
    /// </summary>
    /// <param name="threads">Threads; 0 or less leaves libtorch's default.</param>
    public static void SetThreads(int threads)
    {
        if (threads <= 0)
        {
            return;
        }

        lock (ThreadsLock)
        {
            if (torch.get_num_threads() != threads)
            {
                torch.set_num_threads(threads);
            }
        }
    }

    private static readonly Lock SeedLock = new();

    /// <summary>
    /// Runs <paramref name="factory"/> (typically a module constructor, whose parameter initialisation draws from
    /// libtorch's process-wide generator) right after seeding that generator, under a lock — so a model built with a
    /// seed is bit-identical even while other models are being built or trained on other threads.
    /// </summary>
    /// <typeparam name="T">What the factory builds.</typeparam>
    /// <param name="seed">The seed.</param>
    /// <param name="factory">Builds the module.</param>
    /// <returns>The module.</returns>
    public static T Seeded<T>(int seed, Func<T> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        lock (SeedLock)
        {
            torch.random.manual_seed(seed);
            return factory();
        }
    }
}
