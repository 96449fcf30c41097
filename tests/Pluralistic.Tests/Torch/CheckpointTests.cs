using System.Text.Json;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Torch;

public class CheckpointTests
{
    private static RunManifest Manifest() => new()
    {
        ModelKind = "bt",
        ResponseDimension = 4,
        Options = JsonDocument.Parse("{}").RootElement.Clone(),
        Weights = new WeightsInfo("ignored", "ignored", 0),
    };

    [Fact]
    public void Written_checkpoints_read_back_verified()
    {
        using var dir = new TempDirectory();
        byte[] weights = [1, 2, 3, 4, 5];
        var written = Checkpoint.Write(dir.Path, Manifest(), weights);

        var (manifest, read) = Checkpoint.Read(dir.Path);
        Assert.Equal(weights, read);
        Assert.Equal(written.Weights.Sha256, manifest.Weights.Sha256);
        Assert.Equal(Checkpoint.Sha256(weights), manifest.Weights.Sha256);
        Assert.Equal(RunManifest.CurrentFormatVersion, manifest.FormatVersion);
    }

    [Fact]
    public void A_flipped_byte_in_the_weights_is_detected()
    {
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, Manifest(), [1, 2, 3, 4, 5]);
        File.WriteAllBytes(dir.File(Checkpoint.WeightsFile), [1, 2, 9, 4, 5]);
        var ex = Assert.Throws<CorruptRunException>(() => Checkpoint.Read(dir.Path));
        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_weights_are_detected()
    {
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, Manifest(), [1, 2, 3, 4, 5]);
        File.WriteAllBytes(dir.File(Checkpoint.WeightsFile), [1, 2]);
        var ex = Assert.Throws<CorruptRunException>(() => Checkpoint.Read(dir.Path));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_weights_make_an_incomplete_run()
    {
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, Manifest(), [1, 2, 3]);
        File.Delete(dir.File(Checkpoint.WeightsFile));
        Assert.Contains("missing", Assert.Throws<CorruptRunException>(() => Checkpoint.Read(dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_manifest_is_corrupt()
    {
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, Manifest(), [1, 2, 3]);
        var text = File.ReadAllText(dir.File(Checkpoint.ManifestFile));
        File.WriteAllText(dir.File(Checkpoint.ManifestFile), text[..(text.Length / 2)]);
        Assert.Contains("not valid JSON", Assert.Throws<CorruptRunException>(() => Checkpoint.Read(dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_foreign_manifest_is_rejected()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(Checkpoint.ManifestFile), """{"name":"some other tool","version":3}""");
        Assert.Contains("not a Pluralistic run manifest", Assert.Throws<ForeignFileException>(() => Checkpoint.Read(dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_newer_format_version_is_refused_clearly()
    {
        using var dir = new TempDirectory();
        Checkpoint.Write(dir.Path, Manifest() with { FormatVersion = 99 }, [1]);
        var ex = Assert.Throws<UnsupportedFormatVersionException>(() => Checkpoint.Read(dir.Path));
        Assert.Equal(99, ex.Version);
    }

    [Fact]
    public void A_directory_without_a_manifest_is_not_a_run()
    {
        using var dir = new TempDirectory();
        Assert.Contains("is missing", Assert.Throws<RunDirectoryException>(() => Checkpoint.Read(dir.Path)).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<RunDirectoryException>(() => Checkpoint.Read(dir.File("nope"))).Message, StringComparison.Ordinal);
    }
}
