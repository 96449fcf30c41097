using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>Loads a run's verified weights into a freshly built module.</summary>
internal static class ModuleWeights
{
    /// <summary>
    /// Rebuilds a run's module: built under the run's seed (<see cref="TorchRuntime.Seeded{T}"/>, so buffers that are not
    /// saved come out as in training, and the build draws nothing from the process-wide generator another thread may be
    /// seeding), the verified weights loaded, moved to the device. The module is disposed when the weights do not fit.
    /// </summary>
    /// <exception cref="CorruptRunException">The weights do not fit a module of these options and dimensions.</exception>
    public static TModule Rebuild<TModule>(RunManifest manifest, byte[] weights, Device device, Func<TModule> build)
        where TModule : nn.Module
    {
        var module = TorchRuntime.Seeded(manifest.Seed, build);
        try
        {
            Load(module, weights, manifest);
            module.to(device);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    private static void Load(nn.Module module, byte[] weights, RunManifest manifest)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights, writable: false));
            module.load(reader, strict: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or EndOfStreamException or IOException or FormatException)
        {
            throw new CorruptRunException(
                manifest.Weights.File, $"{manifest.Weights.File} does not fit a '{manifest.ModelKind}' model of these options and dimensions: {ex.Message}", ex);
        }
    }
}
