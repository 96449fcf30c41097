using System.Diagnostics;
using System.Security.Cryptography;

namespace Pluralistic.Tests.Storage;

/// <summary>A store that reads through to another and throws on any write: proves a wrapper never writes to it.</summary>
public sealed class WriteRejectingStore(IUserStateStore inner) : IUserStateStore
{
    public ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default) => inner.GetAsync(user, cancellationToken);

    public ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default) =>
        inner.GetManyAsync(users, cancellationToken);

    public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default) => throw Wrote();

    public ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default) => throw Wrote();

    public ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default) => throw Wrote();

    public ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default) => throw Wrote();

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    public IAsyncEnumerable<UserState> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

    public void Dispose() => inner.Dispose();

    private static InvalidOperationException Wrote() => new("a write reached the base store");
}

/// <summary>Raw file inspection and a second OS process taking locks, for the file store's tests.</summary>
public static class StoreFiles
{
    /// <summary>The file's bytes, read without disturbing a process that has it open.</summary>
    public static byte[] Read(string path)
    {
        // Opening a file takes a flock on Linux (.NET maps FileShare to it), which a held lock file refuses; the lock
        // file is empty by design, so its length says all there is.
        if (path.EndsWith(".lock", StringComparison.Ordinal))
        {
            return new FileInfo(path).Length == 0 ? [] : throw new InvalidDataException($"the lock file '{path}' is not empty");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(Read(path)));

    /// <summary>Every file of a directory with its SHA-256: what a read-only open must leave alone.</summary>
    public static SortedDictionary<string, string> Snapshot(string directory) =>
        new(Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Sha256(f)), StringComparer.Ordinal);

    /// <summary>The files of a directory that contain a byte pattern.</summary>
    public static List<string> FilesContaining(string directory, ReadOnlySpan<byte> pattern)
    {
        var found = new List<string>();
        foreach (var file in Directory.GetFiles(directory))
        {
            if (Read(file).AsSpan().IndexOf(pattern) >= 0)
            {
                found.Add(Path.GetFileName(file));
            }
        }

        return found;
    }

    /// <summary>
    /// Waits until a condition holds: LiteDB commits return before its background writer has put the pages in the
    /// log file, so what a test reads from the files lags what the store has committed.
    /// </summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 250; attempt++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }

    /// <summary>
    /// Runs <c>flock -n</c> (util-linux) in another process on a lock file: 0 when that process could take the lock,
    /// 1 when someone else holds a conflicting one. flock(1) and .NET on Linux both use flock(2).
    /// </summary>
    public static int TryLockFromAnotherProcess(string lockPath, bool shared)
    {
        using var process = Process.Start(new ProcessStartInfo("flock") { ArgumentList = { "-n", shared ? "-s" : "-x", lockPath, "true" } })!;
        if (!process.WaitForExit(10_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("flock did not finish");
        }

        return process.ExitCode;
    }

    /// <summary>Starts another process that holds the lock until killed.</summary>
    public static Process HoldLockInAnotherProcess(string lockPath, bool shared)
    {
        var process = Process.Start(new ProcessStartInfo("flock")
        {
            ArgumentList = { shared ? "-s" : "-x", "-o", lockPath, "-c", "echo held; exec sleep 60" },
            RedirectStandardOutput = true,
        })!;
        Assert.Equal("held", process.StandardOutput.ReadLine());
        return process;
    }

    public static void Stop(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}
