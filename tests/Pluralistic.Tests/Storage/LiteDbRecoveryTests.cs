using System.Buffers.Binary;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Storage;

/// <summary>
/// What a store does with a LiteDB log it finds beside its file: a writer's own log left by a crash is replayed; a
/// log that is torn, damaged or another database's is refused with a typed error before anything is written (LiteDB
/// would replay it into the data file at the offsets its page ids name: a sparse file of hundreds of gigabytes).
/// </summary>
public sealed class LiteDbRecoveryTests : IDisposable
{
    private const int PageSize = 8192;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static UserState State(string user, float seed = 1f) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "0123456789abcdef",
        Vector = Enumerable.Range(0, 16).Select(i => seed + i).ToArray(),
        Evidence = Enumerable.Range(0, 33).Select(i => seed * i).ToArray(),
        EvidenceCount = 1,
        Revision = 1,
        CreatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        UpdatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 6, TimeSpan.Zero),
    };

    /// <summary>
    /// The files a crash leaves: a closed store with <paramref name="closedUsers"/> users, then
    /// <paramref name="loggedUsers"/> more committed into the log only (copied while the writer is still open).
    /// </summary>
    private async Task<string> CrashedStoreAsync(string name, string prefix, int closedUsers = 20, int loggedUsers = 30)
    {
        var live = Directory.CreateDirectory(_directory.File(name + "-live")).FullName;
        var path = Path.Combine(live, "users.db");
        using (var store = new LiteDbUserStateStore(path))
        {
            await store.UpsertManyAsync(Enumerable.Range(0, closedUsers).Select(i => State($"{prefix}{i:D3}", i)));
        }

        if (loggedUsers == 0)
        {
            return path;
        }

        using var writer = new LiteDbUserStateStore(path);
        await writer.UpsertManyAsync(Enumerable.Range(closedUsers, loggedUsers).Select(i => State($"{prefix}{i:D3}", i)));
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var copy = Directory.CreateDirectory(_directory.File($"{name}-{attempt}")).FullName;
            foreach (var file in new[] { "users.db", "users-log.db" })
            {
                File.WriteAllBytes(Path.Combine(copy, file), StoreFiles.Read(Path.Combine(live, file)));
            }

            using (var probe = new LiteDbUserStateStore(Path.Combine(copy, "users.db"), new LiteDbUserStateStoreOptions { ReadOnly = true }))
            {
                if (await probe.CountAsync() == closedUsers + loggedUsers)
                {
                    return Path.Combine(copy, "users.db");
                }
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException("LiteDB never wrote the transaction to its log");
    }

    private static string LogOf(string path) => Path.Combine(Path.GetDirectoryName(path)!, "users-log.db");

    /// <summary>Opening (writable and read-only) is refused with the typed error and changes no byte of any file.</summary>
    private static UserStateStoreRecoveryException AssertRefusedUnchanged(string path)
    {
        var before = StoreFiles.Snapshot(Path.GetDirectoryName(path)!);
        before.Remove("users.db.lock");
        var writable = Assert.Throws<UserStateStoreRecoveryException>(() => new LiteDbUserStateStore(path));
        Assert.Throws<UserStateStoreRecoveryException>(() => new LiteDbUserStateStore(path, new LiteDbUserStateStoreOptions { ReadOnly = true }));
        var after = StoreFiles.Snapshot(Path.GetDirectoryName(path)!);
        after.Remove("users.db.lock");
        Assert.Equal(before, after);
        Assert.Equal(LogOf(path), writable.LogPath);
        Assert.Contains("Nothing was written", writable.Message, StringComparison.Ordinal);
        Assert.Contains("move it aside", writable.Message, StringComparison.Ordinal);
        return writable;
    }

    [Fact]
    public async Task A_crash_log_of_the_store_itself_is_replayed_with_every_committed_state()
    {
        var path = await CrashedStoreAsync("own", "u");
        using (var store = new LiteDbUserStateStore(path))
        {
            Assert.Equal(50, await store.CountAsync());
            Assert.Equal(49f, (await store.GetAsync(new UserId("u049")))!.Vector.Span[0]);
        }

        Assert.False(File.Exists(LogOf(path)) && new FileInfo(LogOf(path)).Length > 0, "closing checkpoints the replayed log into the data file");
        using var reopened = new LiteDbUserStateStore(path, new LiteDbUserStateStoreOptions { ReadOnly = true });
        Assert.Equal(50, await reopened.CountAsync());
    }

    [Fact]
    public async Task The_log_of_another_store_is_refused_before_anything_is_written()
    {
        var mine = await CrashedStoreAsync("mine", "a", loggedUsers: 0);
        var theirs = await CrashedStoreAsync("theirs", "b");
        File.Copy(LogOf(theirs), LogOf(mine), overwrite: true);

        var error = AssertRefusedUnchanged(mine);
        Assert.Contains("another database", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_naming_a_page_far_beyond_the_files_is_refused_instead_of_growing_a_sparse_file()
    {
        var path = await CrashedStoreAsync("sparse", "u");
        var log = File.ReadAllBytes(LogOf(path));
        var dataLength = new FileInfo(path).Length;

        // The last page of the log (a confirmed page of the transaction) moved to page 50 million: 400 GB into the file.
        BinaryPrimitives.WriteUInt32LittleEndian(log.AsSpan(log.Length - PageSize), 50_000_000);
        File.WriteAllBytes(LogOf(path), log);

        var error = AssertRefusedUnchanged(path);
        Assert.Contains("page id 50000000", error.Message, StringComparison.Ordinal);
        Assert.Equal(dataLength, new FileInfo(path).Length);
    }

    [Fact]
    public async Task A_torn_log_is_refused()
    {
        var path = await CrashedStoreAsync("torn", "u");
        using (var log = new FileStream(LogOf(path), FileMode.Append))
        {
            log.Write(new byte[100]);
        }

        Assert.Contains("not a whole number", AssertRefusedUnchanged(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_of_random_bytes_is_refused()
    {
        var path = await CrashedStoreAsync("random", "u", loggedUsers: 0);
        var bytes = new byte[PageSize * 4];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(LogOf(path), bytes);

        AssertRefusedUnchanged(path);
    }

    [Fact]
    public async Task A_log_whose_pages_fit_but_whose_content_is_damaged_is_refused()
    {
        var path = await CrashedStoreAsync("damaged", "u");
        var log = File.ReadAllBytes(LogOf(path));

        // Every page keeps its page id, type and flags; its content (past the 32-byte page header) is overwritten.
        for (var page = 0; page < log.Length; page += PageSize)
        {
            if (log[page + 4] != 1)
            {
                log.AsSpan(page + 32, PageSize - 32).Fill(0xA5);
            }
        }

        File.WriteAllBytes(LogOf(path), log);

        AssertRefusedUnchanged(path);
    }

    [Fact]
    public void A_zero_byte_store_file_is_refused_not_recreated()
    {
        var path = _directory.File("users.db");
        File.WriteAllBytes(path, []);

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));
        Assert.Contains("is empty (0 bytes)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(path).Length);
    }
}
