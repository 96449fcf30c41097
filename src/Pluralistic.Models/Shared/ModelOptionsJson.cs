using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.MaxMin;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;
using Pluralistic.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Models;

/// <summary>Source-generated JSON for every method's options (stored in run manifests), and weight loading.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(BradleyTerryOptions))]
[JsonSerializable(typeof(FspoOptions))]
[JsonSerializable(typeof(DpaOptions))]
[JsonSerializable(typeof(PalOptions))]
[JsonSerializable(typeof(VplOptions))]
[JsonSerializable(typeof(MaxMinOptions))]
internal sealed partial class ModelOptionsJson : JsonSerializerContext
{
    /// <summary>Serializes options for a manifest.</summary>
    public static JsonElement Write<T>(T options, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToElement(options, typeInfo);

    /// <summary>Reads a manifest's options, as a corrupt-run error when they do not parse.</summary>
    public static T Read<T>(RunManifest manifest, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return manifest.Options.Deserialize(typeInfo) ?? throw new CorruptRunException(Checkpoint.ManifestFile, "the manifest's options are empty");
        }
        catch (JsonException ex)
        {
            throw new CorruptRunException(Checkpoint.ManifestFile, $"the manifest's options do not describe a '{manifest.ModelKind}' model: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Rebuilds a run's module: built under the run's seed (<see cref="TorchRuntime.Seeded{T}"/>, so buffers that are not
    /// saved come out as in training), the verified weights loaded, moved to the device. The module is disposed when the
    /// weights do not fit (a <see cref="CorruptRunException"/>).
    /// </summary>
    public static TModule Rebuild<TModule>(RunManifest manifest, byte[] weights, Device device, Func<TModule> build)
        where TModule : nn.Module
    {
        var module = TorchRuntime.Seeded(manifest.Seed, build);
        try
        {
            LoadWeights(module, weights, manifest);
            module.to(device);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Loads verified weights into a freshly built module, as a corrupt-run error when they do not fit.</summary>
    public static void LoadWeights(nn.Module module, byte[] weights, RunManifest manifest)
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
