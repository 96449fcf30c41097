using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>A population module's weights as bytes (TorchSharp's state-dict format, the <c>weights.bin</c> file) and their fingerprint.</summary>
internal static class WeightsSerializer
{
    /// <summary>Serializes the module's state dict.</summary>
    /// <param name="module">The module.</param>
    /// <returns>The bytes written to <c>weights.bin</c>.</returns>
    public static byte[] Serialize(nn.Module module)
    {
        // Module.save(Stream) closes the stream: write through a writer we own and leave the memory open.
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            module.save(writer);
        }

        return memory.ToArray();
    }

    /// <summary>SHA-256 of the serialized weights: what user states and manifests record.</summary>
    /// <param name="module">The module.</param>
    /// <returns>The lowercase hex fingerprint.</returns>
    public static string Fingerprint(nn.Module module) => Checkpoint.Sha256(Serialize(module));
}
