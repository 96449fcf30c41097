using System.Security.Cryptography;
using System.Text.Json;

namespace Pluralistic.Torch;

/// <summary>
/// The checkpoint format: <c>manifest.json</c> plus a weights file whose SHA-256 the manifest records. Loading
/// verifies the manifest, the format version, the weights' length and hash; a missing, truncated, corrupt or
/// foreign file is a typed error that says which.
/// </summary>
public static class Checkpoint
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>The weights' file name.</summary>
    public const string WeightsFile = "weights.bin";

    /// <summary>The SHA-256 of a byte sequence, lower-case hex.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The digest.</returns>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Writes the weights and the manifest (manifest last, so a run with a manifest is complete).</summary>
    /// <param name="directory">The run directory (created when missing).</param>
    /// <param name="manifest">The manifest; its <see cref="RunManifest.Weights"/> is filled in here.</param>
    /// <param name="weights">The serialized weights.</param>
    /// <returns>The manifest as written.</returns>
    public static RunManifest Write(string directory, RunManifest manifest, ReadOnlySpan<byte> weights)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Directory.CreateDirectory(directory);
        var written = manifest with { Weights = new WeightsInfo(WeightsFile, Sha256(weights), weights.Length) };
        WriteAtomically(Path.Combine(directory, WeightsFile), weights);
        WriteAtomically(Path.Combine(directory, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(written, CheckpointJsonContext.Default.RunManifest));
        return written;
    }

    /// <summary>Reads and verifies a checkpoint.</summary>
    /// <param name="directory">The run directory.</param>
    /// <returns>The manifest and the verified weights.</returns>
    /// <exception cref="RunDirectoryException">The directory or manifest is missing.</exception>
    /// <exception cref="ForeignFileException">The manifest is not a Pluralistic manifest.</exception>
    /// <exception cref="UnsupportedFormatVersionException">The manifest is from a newer format version.</exception>
    /// <exception cref="CorruptRunException">A file is unreadable, truncated or does not match its hash.</exception>
    public static (RunManifest Manifest, byte[] Weights) Read(string directory)
    {
        var manifest = ReadManifest(directory);
        var weightsPath = WeightsPath(directory, manifest);
        byte[] weights;
        try
        {
            weights = File.ReadAllBytes(weightsPath);
        }
        catch (IOException ex)
        {
            throw new CorruptRunException(weightsPath, $"{manifest.Weights.File} cannot be read: {ex.Message}", ex);
        }

        return (manifest, VerifyWeights(weightsPath, manifest, weights));
    }

    /// <summary>
    /// Reads and verifies a checkpoint, reading the files asynchronously: the manifest once, then the weights it names.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The manifest and the verified weights.</returns>
    /// <exception cref="RunDirectoryException">The directory or manifest is missing.</exception>
    /// <exception cref="ForeignFileException">The manifest is not a Pluralistic manifest.</exception>
    /// <exception cref="UnsupportedFormatVersionException">The manifest is from a newer format version.</exception>
    /// <exception cref="CorruptRunException">A file is unreadable, truncated or does not match its hash.</exception>
    public static async Task<(RunManifest Manifest, byte[] Weights)> ReadAsync(string directory, CancellationToken cancellationToken = default)
    {
        var path = ManifestPath(directory);
        var manifest = ParseManifest(path, await ReadManifestBytesAsync(path, cancellationToken).ConfigureAwait(false));
        var weightsPath = WeightsPath(directory, manifest);
        byte[] weights;
        try
        {
            weights = await File.ReadAllBytesAsync(weightsPath, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new CorruptRunException(weightsPath, $"{manifest.Weights.File} cannot be read: {ex.Message}", ex);
        }

        return (manifest, VerifyWeights(weightsPath, manifest, weights));
    }

    /// <summary>Reads and checks a manifest (not the weights).</summary>
    /// <param name="directory">The run directory.</param>
    /// <returns>The manifest.</returns>
    public static RunManifest ReadManifest(string directory)
    {
        var path = ManifestPath(directory);
        byte[] bytes;
        try
        {
            CountManifestRead();
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new CorruptRunException(path, $"{ManifestFile} cannot be read: {ex.Message}", ex);
        }

        return ParseManifest(path, bytes);
    }

    /// <summary>
    /// Test hook: counts the manifest reads made from here on in the current asynchronous flow (and the flows it
    /// starts), until the returned counter is disposed. Other threads' reads are not counted.
    /// </summary>
    /// <returns>The counter.</returns>
    internal static ManifestReadCounter CountManifestReads() => new();

    private static void CountManifestRead()
    {
        ManifestReadCounter.Current.Value?.Increment();
    }

    private static string ManifestPath(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new RunDirectoryException(directory, $"run directory '{directory}' does not exist");
        }

        var path = Path.Combine(directory, ManifestFile);
        return File.Exists(path)
            ? path
            : throw new RunDirectoryException(directory, $"'{directory}' is not a run directory: {ManifestFile} is missing");
    }

    private static async Task<byte[]> ReadManifestBytesAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            CountManifestRead();
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new CorruptRunException(path, $"{ManifestFile} cannot be read: {ex.Message}", ex);
        }
    }

    private static RunManifest ParseManifest(string path, byte[] bytes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new CorruptRunException(path, $"{ManifestFile} is not valid JSON (truncated or corrupt): {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("format", out var format)
                || format.ValueKind != JsonValueKind.String
                || format.GetString() != RunManifest.FormatName)
            {
                throw new ForeignFileException(path, $"{ManifestFile} is not a Pluralistic run manifest (expected \"format\": \"{RunManifest.FormatName}\")");
            }

            if (document.RootElement.TryGetProperty("format_version", out var version)
                && version.TryGetInt32(out var v) && v > RunManifest.CurrentFormatVersion)
            {
                throw new UnsupportedFormatVersionException(path, v, RunManifest.CurrentFormatVersion);
            }
        }

        try
        {
            var manifest = JsonSerializer.Deserialize(bytes, CheckpointJsonContext.Default.RunManifest)
                ?? throw new CorruptRunException(path, $"{ManifestFile} is empty");
            if (manifest.Weights is null || string.IsNullOrEmpty(manifest.Weights.File) || string.IsNullOrEmpty(manifest.Weights.Sha256))
            {
                throw new CorruptRunException(path, $"{ManifestFile} does not name the weights and their SHA-256");
            }

            return manifest;
        }
        catch (JsonException ex)
        {
            throw new CorruptRunException(path, $"{ManifestFile} is malformed: {ex.Message}", ex);
        }
    }

    private static string WeightsPath(string directory, RunManifest manifest)
    {
        var weightsPath = Path.Combine(directory, manifest.Weights.File);
        if (manifest.Weights.File.Contains('/', StringComparison.Ordinal) || manifest.Weights.File.Contains('\\', StringComparison.Ordinal))
        {
            throw new CorruptRunException(weightsPath, $"{ManifestFile} names a weights file outside the run directory");
        }

        return File.Exists(weightsPath)
            ? weightsPath
            : throw new CorruptRunException(weightsPath, $"the run is incomplete: {manifest.Weights.File} is missing");
    }

    private static byte[] VerifyWeights(string weightsPath, RunManifest manifest, byte[] weights)
    {
        if (weights.Length != manifest.Weights.Bytes)
        {
            throw new CorruptRunException(
                weightsPath, $"{manifest.Weights.File} is {weights.Length} bytes but {ManifestFile} says {manifest.Weights.Bytes}: the file is truncated or was replaced");
        }

        if (!string.Equals(Sha256(weights), manifest.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new CorruptRunException(
                weightsPath, $"{manifest.Weights.File} does not match the SHA-256 recorded in {ManifestFile}: the file is corrupt or was modified");
        }

        return weights;
    }

    private static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>Counts manifest reads in one asynchronous flow (see <see cref="Checkpoint.CountManifestReads"/>).</summary>
internal sealed class ManifestReadCounter : IDisposable
{
    private readonly ManifestReadCounter? _previous;

    /// <summary>Starts counting in the current flow.</summary>
    public ManifestReadCounter()
    {
        _previous = Current.Value;
        Current.Value = this;
    }

    /// <summary>The counter of the current flow, if any.</summary>
    internal static AsyncLocal<ManifestReadCounter?> Current { get; } = new();

    private int _count;

    /// <summary>The reads so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts one read.</summary>
    public void Increment() => Interlocked.Increment(ref _count);

    /// <inheritdoc />
    public void Dispose() => Current.Value = _previous;
}
