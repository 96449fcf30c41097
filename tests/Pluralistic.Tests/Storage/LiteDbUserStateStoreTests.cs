using System.Buffers.Binary;
using System.Text;
using LiteDB;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Storage;

public sealed class LiteDbUserStateStoreTests : IDisposable
{
    private static readonly LiteDbUserStateStoreOptions ReadOnly = new() { ReadOnly = true };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string NewPath(string name = "states.db") => _directory.File(name);

    private static UserState State(string user, float seed = 1f, int pairCount = 0) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "0123456789abcdef",
        Vector = Enumerable.Range(0, 16).Select(i => seed + i).ToArray(),
        Evidence = Enumerable.Range(0, 33).Select(i => seed * i).ToArray(),
        EvidenceCount = 1,
        PairCount = pairCount,
        Revision = 1,
        CreatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234),
        UpdatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 6, TimeSpan.Zero).AddTicks(5678),
    };

    /// <summary>A closed store file with <paramref name="users"/> users (and one deleted, one updated).</summary>
    private static async Task<string> CreateStoreFileAsync(string path, int users = 40)
    {
        using var store = new LiteDbUserStateStore(path);
        await store.UpsertManyAsync(Enumerable.Range(0, users).Select(i => State($"user-{i:D3}", i)));
        await store.UpdateAsync(new UserId("user-001"), s => s! with { PairCount = 7 });
        await store.DeleteAsync(new UserId("user-002"));
        return path;
    }

    private static async Task<List<UserState>> ListAsync(LiteDbUserStateStore store)
    {
        var states = new List<UserState>();
        await foreach (var state in store.ListAsync())
        {
            states.Add(state);
        }

        return states;
    }

    // ---- batched writes ----

    [Fact]
    public async Task Reads_that_overlap_a_new_stores_first_writes_see_an_empty_store_not_a_corrupt_one()
    {
        // Before the collection was created at open, about one fresh store in twenty failed a read that overlapped
        // LiteDB's lazy creation of the collection ("page type must be collection page"); 200 stores hit it.
        for (var round = 0; round < 200; round++)
        {
            using var store = new LiteDbUserStateStore(round % 2 == 0 ? ":memory:" : NewPath($"fresh-{round}.db"));
            var reads = Enumerable.Range(0, 4).Select(_ => Task.Run(async () => await store.GetManyAsync([new UserId("absent")]))).ToList();
            var writes = Enumerable.Range(0, 4).Select(w => Task.Run(async () => await store.UpsertAsync(State($"w{w}")))).ToList();
            await Task.WhenAll(writes);
            foreach (var read in reads)
            {
                Assert.Empty(await read);
            }

            Assert.Equal(4, await store.CountAsync());
        }
    }

    [Fact]
    public async Task Batched_writes_leave_the_callers_synchronization_context_and_are_all_in_the_file_after_reopening()
    {
        var path = NewPath();
        var caller = new SynchronizationContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(caller);
        try
        {
            using var store = new LiteDbUserStateStore(path);
            for (var batch = 0; batch < 3; batch++)
            {
                var task = store.UpsertManyAsync(Enumerable.Range(batch * 1000, 1000).Select(i => State($"user-{i:D5}", i)));
                Assert.True(task.IsCompleted);
                await task.ConfigureAwait(true);
                Assert.Same(caller, SynchronizationContext.Current);
            }

            // Overwrites in place, in one more batch.
            await store.UpsertManyAsync(Enumerable.Range(0, 500).Select(i => State($"user-{i:D5}", -i, pairCount: 9)));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        using var reopened = new LiteDbUserStateStore(path, ReadOnly);
        var states = await ListAsync(reopened);
        Assert.Equal(3000, states.Count);
        Assert.All(states, s => Assert.Equal(int.Parse(s.User.Value.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture) < 500 ? 9 : 0, s.PairCount));
        Assert.Equal(State("user-00499", -499, pairCount: 9).Vector.ToArray(), states[499].Vector.ToArray());
        Assert.Equal(State("user-02999", 2999).Vector.ToArray(), states[^1].Vector.ToArray());
    }

    [Fact]
    public async Task Every_acknowledged_write_is_in_the_files_a_killed_process_would_leave()
    {
        var path = NewPath();
        using var store = new LiteDbUserStateStore(path);
        for (var i = 0; i < 12; i++)
        {
            // Alternate single writes, updates and batches: each kind of write must be in the files when it returns.
            switch (i % 3)
            {
                case 0:
                    await store.UpsertAsync(State($"single-{i:D2}", i));
                    break;
                case 1:
                    await store.UpdateAsync(new UserId($"single-{i - 1:D2}"), current => State($"single-{i - 1:D2}", 100 + i, pairCount: current!.PairCount + 1));
                    break;
                default:
                    await store.UpsertManyAsync(Enumerable.Range(0, 200).Select(j => State($"batch-{i:D2}-{j:D3}", j)));
                    break;
            }

            var copy = CopyAsCrashed($"killed-{i:D2}");
            using var crashed = new LiteDbUserStateStore(Path.Combine(copy, "states.db"), ReadOnly);
            var expected = Enumerable.Range(0, i + 1).Sum(k => (k % 3) switch { 0 => 1, 1 => 0, _ => 200 });
            Assert.True(expected == await crashed.CountAsync(), $"write {i}: expected {expected} states, the copy holds {await crashed.CountAsync()}");
            if (i % 3 == 1)
            {
                var updated = await crashed.GetAsync(new UserId($"single-{i - 1:D2}"));
                Assert.Equal(1, updated!.PairCount);
                Assert.Equal(100f + i, updated.Vector.Span[0]);
            }
        }
    }

    // The data file and the log as they are on disk now, copied elsewhere: what SIGKILL would leave behind.
    private string CopyAsCrashed(string name)
    {
        var copy = Directory.CreateDirectory(_directory.File(name)).FullName;
        foreach (var file in new[] { "states.db", "states-log.db" })
        {
            if (File.Exists(_directory.File(file)))
            {
                File.WriteAllBytes(Path.Combine(copy, file), StoreFiles.Read(_directory.File(file)));
            }
        }

        return copy;
    }

    // ---- read-only ----

    [Fact]
    public async Task Read_only_open_leaves_every_file_byte_for_byte_unchanged()
    {
        var path = await CreateStoreFileAsync(NewPath());
        var before = StoreFiles.Snapshot(_directory.Path);
        Assert.Contains("states.db", before.Keys);

        using (var store = new LiteDbUserStateStore(path, ReadOnly))
        {
            Assert.True(store.IsReadOnly);
            Assert.Equal(39, await store.CountAsync());
            Assert.Equal(7, (await store.GetAsync(new UserId("user-001")))!.PairCount);
            Assert.Null(await store.GetAsync(new UserId("user-002")));
            Assert.Equal(2, (await store.GetManyAsync([new UserId("user-003"), new UserId("user-004")])).Count);
            Assert.Equal(39, (await ListAsync(store)).Count);
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await store.UpsertAsync(State("intruder")));
        }

        Assert.Equal(before, StoreFiles.Snapshot(_directory.Path));
    }

    [Fact]
    public async Task Read_only_open_of_a_file_a_writer_left_without_checkpoint_sees_its_states_and_changes_nothing()
    {
        var path = NewPath();
        string crashed;
        using (new LiteDbUserStateStore(path))
        {
            // Created and closed: the marker is in the data file.
        }

        using (var writer = new LiteDbUserStateStore(path))
        {
            await writer.UpsertManyAsync(Enumerable.Range(0, 30).Select(i => State($"u{i:D2}", i)));
            Assert.True(File.Exists(_directory.File("states-log.db")), "committed states wait in LiteDB's log until a checkpoint");

            // Copying the files of an open store is what a killed process leaves behind: the states are in the log
            // only. A write returns once LiteDB's background writer has put its pages in the log, so the first copy
            // taken after the call holds the whole transaction.
            crashed = CopyAsCrashed("crashed");
            using (var probe = new LiteDbUserStateStore(Path.Combine(crashed, "states.db"), ReadOnly))
            {
                Assert.Equal(30, await probe.CountAsync());
            }
        }

        Assert.True(new FileInfo(Path.Combine(crashed, "states-log.db")).Length > 0);
        var before = StoreFiles.Snapshot(crashed);
        using (var reader = new LiteDbUserStateStore(Path.Combine(crashed, "states.db"), ReadOnly))
        {
            Assert.Equal(30, await reader.CountAsync());
            Assert.Equal(29f, (await reader.GetAsync(new UserId("u29")))!.Vector.Span[0]);
        }

        Assert.Equal(before, StoreFiles.Snapshot(crashed));

        // A writable open then recovers the log into the data file.
        using var recovered = new LiteDbUserStateStore(Path.Combine(crashed, "states.db"));
        Assert.Equal(30, await recovered.CountAsync());
    }

    [Fact]
    public async Task Writes_to_a_read_only_store_fail_with_a_typed_error()
    {
        var path = await CreateStoreFileAsync(NewPath());
        using var store = new LiteDbUserStateStore(path, ReadOnly);
        var called = false;

        var errors = new[]
        {
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await store.UpsertAsync(State("x"))),
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await store.UpsertManyAsync([State("x")])),
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await store.UpdateAsync(new UserId("user-003"), s => { called = true; return s; })),
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await store.DeleteAsync(new UserId("user-003"))),
        };

        Assert.All(errors, e => Assert.Contains("opened read-only", e.Message, StringComparison.Ordinal));
        Assert.False(called);
        Assert.NotNull(await store.GetAsync(new UserId("user-003")));
    }

    [Fact]
    public void Read_only_open_of_a_missing_file_fails_and_creates_nothing()
    {
        var path = NewPath("missing.db");

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path, ReadOnly));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void Read_only_open_of_an_empty_file_fails_and_leaves_it_empty()
    {
        var path = NewPath();
        File.WriteAllBytes(path, []);

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path, ReadOnly));

        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public async Task A_read_only_store_over_an_overlay_runs_an_evaluation_without_touching_the_file()
    {
        var path = await CreateStoreFileAsync(NewPath());
        var before = StoreFiles.Sha256(path);

        using (var store = new LiteDbUserStateStore(path, ReadOnly))
        using (var overlay = new OverlayUserStateStore(store))
        {
            await overlay.UpdateAsync(new UserId("user-005"), s => s! with { PairCount = 1000 });
            await overlay.UpsertAsync(State("newcomer"));
            await overlay.DeleteAsync(new UserId("user-006"));
            Assert.Equal(39, await overlay.CountAsync());
            Assert.Equal(1000, (await overlay.GetAsync(new UserId("user-005")))!.PairCount);
            Assert.Equal(0, (await store.GetAsync(new UserId("user-005")))!.PairCount);
        }

        Assert.Equal(before, StoreFiles.Sha256(path));
    }

    // ---- locking ----

    [Fact]
    public async Task A_writable_store_holds_an_exclusive_OS_lock_that_another_process_sees()
    {
        var path = NewPath();
        var lockPath = path + ".lock";
        using (var store = new LiteDbUserStateStore(path))
        {
            await store.UpsertAsync(State("a"));
            Assert.Equal(1, StoreFiles.TryLockFromAnotherProcess(lockPath, shared: false));
            Assert.Equal(1, StoreFiles.TryLockFromAnotherProcess(lockPath, shared: true));
        }

        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(lockPath, shared: false));
        Assert.True(File.Exists(lockPath), "the lock file stays: deleting it would let two processes lock two different files");
    }

    [Fact]
    public async Task A_read_only_store_holds_a_shared_lock_readers_can_share_and_writers_cannot()
    {
        var path = await CreateStoreFileAsync(NewPath());
        using var store = new LiteDbUserStateStore(path, ReadOnly);

        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: true));
        Assert.Equal(1, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: false));
    }

    [Fact]
    public async Task A_store_another_process_has_locked_cannot_be_opened()
    {
        var path = await CreateStoreFileAsync(NewPath());
        var writer = StoreFiles.HoldLockInAnotherProcess(path + ".lock", shared: false);
        try
        {
            var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));
            Assert.Contains("in use by another process", error.Message, StringComparison.Ordinal);
            var readError = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path, ReadOnly));
            Assert.Contains("in use by another process", readError.Message, StringComparison.Ordinal);
        }
        finally
        {
            StoreFiles.Stop(writer);
        }

        var reader = StoreFiles.HoldLockInAnotherProcess(path + ".lock", shared: true);
        try
        {
            Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));
            using var sharedReader = new LiteDbUserStateStore(path, ReadOnly);
            Assert.Equal(39, await sharedReader.CountAsync());
        }
        finally
        {
            StoreFiles.Stop(reader);
        }

        using var store = new LiteDbUserStateStore(path);
        Assert.Equal(39, await store.CountAsync());
    }

    // ---- one database per file per process ----

    [Fact]
    public async Task Two_instances_on_one_file_share_one_database()
    {
        var path = NewPath();
        var first = new LiteDbUserStateStore(path);
        var second = new LiteDbUserStateStore(Path.Combine(_directory.Path, ".", "sub", "..", "states.db"));
        Assert.Equal(first.Path, second.Path);

        await first.UpsertAsync(State("shared", 5));
        Assert.Equal(5f, (await second.GetAsync(new UserId("shared")))!.Vector.Span[0]);

        first.Dispose();
        first.Dispose();
        await second.UpsertAsync(State("later", 6));
        Assert.Equal(2, await second.CountAsync());
        Assert.Equal(1, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: false));

        second.Dispose();
        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: false));
        using var reopened = new LiteDbUserStateStore(path, ReadOnly);
        Assert.Equal(2, await reopened.CountAsync());
    }

    [Fact]
    public async Task A_writable_open_in_the_same_process_wins_over_a_read_only_one()
    {
        var path = await CreateStoreFileAsync(NewPath());
        var lockPath = path + ".lock";
        using var reader = new LiteDbUserStateStore(path, ReadOnly);
        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(lockPath, shared: true));

        using (var writer = new LiteDbUserStateStore(path))
        {
            Assert.Equal(1, StoreFiles.TryLockFromAnotherProcess(lockPath, shared: true));
            await writer.UpsertAsync(State("written-while-shared"));
            Assert.Equal(40, await reader.CountAsync());
            Assert.NotNull(await reader.GetAsync(new UserId("written-while-shared")));
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await reader.DeleteAsync(new UserId("user-003")));
        }

        Assert.Equal(40, await reader.CountAsync());
        using (var laterReader = new LiteDbUserStateStore(path, ReadOnly))
        {
            Assert.True(laterReader.IsReadOnly);
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await laterReader.UpsertAsync(State("x")));
        }

        reader.Dispose();
        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(lockPath, shared: false));
    }

    [Fact]
    public async Task A_read_only_open_joins_a_writable_one_in_the_same_process_and_still_refuses_writes()
    {
        var path = NewPath();
        using var writer = new LiteDbUserStateStore(path);
        await writer.UpsertAsync(State("a"));

        using (var reader = new LiteDbUserStateStore(path, ReadOnly))
        {
            Assert.True(reader.IsReadOnly);
            Assert.False(writer.IsReadOnly);
            Assert.NotNull(await reader.GetAsync(new UserId("a")));
            await Assert.ThrowsAsync<UserStateStoreException>(async () => await reader.UpsertAsync(State("b")));
            await writer.UpsertAsync(State("c"));
            Assert.Equal(2, await reader.CountAsync());
        }

        await writer.UpsertAsync(State("d"));
        Assert.Equal(3, await writer.CountAsync());
    }

    [Fact]
    public async Task A_failed_upgrade_keeps_the_read_only_stores_working_and_their_shared_lock()
    {
        var path = await CreateStoreFileAsync(NewPath());
        using var reader = new LiteDbUserStateStore(path, ReadOnly);
        var otherReader = StoreFiles.HoldLockInAnotherProcess(path + ".lock", shared: true);
        try
        {
            var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));
            Assert.Contains("in use by another process", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            StoreFiles.Stop(otherReader);
        }

        Assert.Equal(39, await reader.CountAsync());
        Assert.Equal(1, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: false));
        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: true));
    }

    [Fact]
    public async Task Stores_with_different_collection_names_share_a_file_and_keep_apart()
    {
        var path = NewPath();
        using var pal = new LiteDbUserStateStore(path, new LiteDbUserStateStoreOptions { CollectionName = "pal_states" });
        using var vpl = new LiteDbUserStateStore(path, new LiteDbUserStateStoreOptions { CollectionName = "vpl_states" });

        await pal.UpsertAsync(State("u", 1));
        await vpl.UpsertManyAsync([State("u", 2), State("v", 3)]);

        Assert.Equal(1, await pal.CountAsync());
        Assert.Equal(2, await vpl.CountAsync());
        Assert.Equal(1f, (await pal.GetAsync(new UserId("u")))!.Vector.Span[0]);
        Assert.Equal(2f, (await vpl.GetAsync(new UserId("u")))!.Vector.Span[0]);
    }

    // ---- format ----

    [Fact]
    public async Task The_file_holds_a_marker_vectors_as_little_endian_bytes_and_dates_as_utc_ticks()
    {
        var path = NewPath();
        var state = State("format", 1.5f);
        using (var store = new LiteDbUserStateStore(path))
        {
            await store.UpsertAsync(state);
        }

        using var db = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
        var marker = db.GetCollection("pluralistic_meta").FindById("format");
        Assert.Equal("pluralistic-user-states", marker["name"].AsString);
        Assert.Equal(1, marker["version"].AsInt32);
        Assert.Equal("/Ordinal", db.Collation.ToString());

        var document = db.GetCollection(LiteDbUserStateStoreOptions.DefaultCollectionName).FindById("format");
        var vector = document["vector"].AsBinary;
        Assert.Equal(16 * sizeof(float), vector.Length);
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(vector));
        Assert.Equal(16.5f, BinaryPrimitives.ReadSingleLittleEndian(vector.AsSpan(15 * sizeof(float))));
        Assert.Equal(33 * sizeof(float), document["evidence"].AsBinary.Length);
        Assert.Equal(state.CreatedUtc.UtcTicks, document["createdUtcTicks"].AsInt64);
        Assert.Equal(state.UpdatedUtc.UtcTicks, document["updatedUtcTicks"].AsInt64);
        Assert.Equal(1L, document["revision"].AsInt64);
        Assert.Equal(UserState.CurrentSchemaVersion, document["schema"].AsInt32);
    }

    [Fact]
    public async Task Dates_come_back_in_utc_with_the_same_instant_to_the_tick()
    {
        using var store = new LiteDbUserStateStore(":memory:");
        var local = new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.FromHours(5.5)).AddTicks(9_999_999);
        await store.UpsertAsync(State("tz") with { CreatedUtc = local, UpdatedUtc = local.AddTicks(1) });

        var read = (await store.GetAsync(new UserId("tz")))!;

        Assert.Equal(TimeSpan.Zero, read.CreatedUtc.Offset);
        Assert.Equal(local.UtcTicks, read.CreatedUtc.UtcTicks);
        Assert.Equal(local.UtcTicks + 1, read.UpdatedUtc.UtcTicks);
        Assert.Equal(local, read.CreatedUtc);
    }

    [Fact]
    public async Task A_new_file_gets_the_marker_and_an_existing_empty_LiteDB_file_is_initialized()
    {
        var fresh = NewPath("fresh.db");
        using (new LiteDbUserStateStore(fresh))
        {
        }

        var emptyLiteDb = NewPath("empty-litedb.db");
        using (new LiteDatabase(new ConnectionString { Filename = emptyLiteDb, Collation = Collation.Binary }))
        {
        }

        var readError = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(emptyLiteDb, ReadOnly));
        Assert.Contains("without the Pluralistic marker", readError.Message, StringComparison.Ordinal);
        using (var store = new LiteDbUserStateStore(emptyLiteDb))
        {
            await store.UpsertAsync(State("first"));
        }

        foreach (var path in new[] { fresh, emptyLiteDb })
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
            Assert.Equal(1, db.GetCollection("pluralistic_meta").FindById("format")["version"].AsInt32);
            using var reader = new LiteDbUserStateStore(path, ReadOnly);
            Assert.Equal(path == fresh ? 0 : 1, await reader.CountAsync());
            Assert.Equal(path == fresh ? 0 : 1, (await ListAsync(reader)).Count);
            Assert.Equal(path != fresh, await reader.GetAsync(new UserId("first")) is not null);
        }
    }

    [Fact]
    public void An_empty_LiteDB_file_with_case_insensitive_collation_is_refused()
    {
        var path = NewPath();
        using (new LiteDatabase(new ConnectionString { Filename = path }))
        {
        }

        var hash = StoreFiles.Sha256(path);

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));

        Assert.Contains("collation", error.Message, StringComparison.Ordinal);
        Assert.Equal(hash, StoreFiles.Sha256(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_foreign_LiteDB_file_is_refused_and_left_unchanged(bool readOnly)
    {
        var path = NewPath();
        using (var db = new LiteDatabase(new ConnectionString { Filename = path, Collation = Collation.Binary }))
        {
            db.GetCollection("customers").Insert(new BsonDocument { ["_id"] = 1, ["name"] = "Ada" });
        }

        var hash = StoreFiles.Sha256(path);

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path, new() { ReadOnly = readOnly }));

        Assert.Contains("not a Pluralistic user state store (foreign file)", error.Message, StringComparison.Ordinal);
        Assert.Contains("customers", error.Message, StringComparison.Ordinal);
        Assert.Equal(hash, StoreFiles.Sha256(path));
        Assert.False(File.Exists(_directory.File("states-log.db")));
    }

    [Fact]
    public void A_marker_of_another_format_is_foreign()
    {
        var path = NewPath();
        using (var db = new LiteDatabase(new ConnectionString { Filename = path, Collation = Collation.Binary }))
        {
            db.GetCollection("pluralistic_meta").Insert(new BsonDocument { ["_id"] = "format", ["name"] = "something-else", ["version"] = 1 });
        }

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));

        Assert.Contains("foreign file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_newer_format_version_is_refused_and_left_unchanged()
    {
        var path = NewPath();
        using (var db = new LiteDatabase(new ConnectionString { Filename = path, Collation = Collation.Binary }))
        {
            db.GetCollection("pluralistic_meta").Insert(new BsonDocument { ["_id"] = "format", ["name"] = "pluralistic-user-states", ["version"] = 2 });
        }

        var hash = StoreFiles.Sha256(path);

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path));

        Assert.Contains("format version 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("reads up to 1", error.Message, StringComparison.Ordinal);
        Assert.Equal(hash, StoreFiles.Sha256(path));
    }

    [Theory]
    [InlineData("text", false)]
    [InlineData("text", true)]
    [InlineData("zeros", false)]
    [InlineData("zeros", true)]
    [InlineData("first-100-bytes", false)]
    [InlineData("first-100-bytes", true)]
    [InlineData("first-two-pages", false)]
    [InlineData("first-two-pages", true)]
    [InlineData("half-at-a-page-boundary", false)]
    [InlineData("half-at-a-page-boundary", true)]
    [InlineData("cut-mid-page", false)]
    [InlineData("cut-mid-page", true)]
    [InlineData("header-scrambled", false)]
    public async Task A_corrupt_or_truncated_file_is_refused_with_a_typed_error_and_left_unchanged(string damage, bool readOnly)
    {
        var good = StoreFiles.Read(await CreateStoreFileAsync(NewPath("good.db"), users: 60));
        Assert.True(good.Length >= 8 * 8192, $"the store file is only {good.Length} bytes");
        var damaged = damage switch
        {
            "text" => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("This is not a database. ", 800))),
            "zeros" => new byte[3 * 8192],
            "first-100-bytes" => good[..100],
            "first-two-pages" => good[..(2 * 8192)],
            "half-at-a-page-boundary" => good[..(good.Length / 8192 / 2 * 8192)],
            "cut-mid-page" => good[..(good.Length - 3000)],
            "header-scrambled" => Scramble(good, 0, 8192),
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        var path = NewPath();
        File.WriteAllBytes(path, damaged);
        var hash = StoreFiles.Sha256(path);

        var error = Assert.Throws<UserStateStoreException>(() => new LiteDbUserStateStore(path, new() { ReadOnly = readOnly }));

        Assert.Contains("is corrupt or truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(hash, StoreFiles.Sha256(path));
        Assert.False(File.Exists(_directory.File("states-log.db")));
        Assert.Equal(0, StoreFiles.TryLockFromAnotherProcess(path + ".lock", shared: false));
    }

    [Fact]
    public async Task Damage_inside_the_states_surfaces_as_a_typed_error_never_a_LiteDB_one()
    {
        var good = StoreFiles.Read(await CreateStoreFileAsync(NewPath("good.db"), users: 60));
        var path = NewPath();

        // Scramble every page after the first few: the marker may still be readable, the states are not.
        File.WriteAllBytes(path, Scramble(good, 4 * 8192, good.Length - (4 * 8192)));
        var hash = StoreFiles.Sha256(path);

        var error = await Record.ExceptionAsync(async () =>
        {
            using var store = new LiteDbUserStateStore(path, ReadOnly);
            await ListAsync(store);
            for (var i = 0; i < 60; i++)
            {
                await store.GetAsync(new UserId($"user-{i:D3}"));
            }
        });

        Assert.IsType<UserStateStoreException>(error);
        Assert.Equal(hash, StoreFiles.Sha256(path));
    }

    private static byte[] Scramble(byte[] bytes, int offset, int length)
    {
        var copy = (byte[])bytes.Clone();
        var random = new Random(17);
        for (var i = offset; i < offset + length; i++)
        {
            copy[i] ^= (byte)random.Next(1, 256);
        }

        return copy;
    }

    // ---- deleting ----

    [Fact]
    public async Task Delete_scrubs_the_users_id_and_vectors_from_the_files()
    {
        var path = NewPath();
        const string Secret = "forget-me-5d1c9e";
        var idBytes = Encoding.UTF8.GetBytes(Secret);
        var first = Pattern(1234.5678f);
        var second = Pattern(-8765.4321f);
        using (var store = new LiteDbUserStateStore(path))
        {
            await store.UpsertManyAsync(Enumerable.Range(0, 25).Select(i => State($"keep-{i:D2}", i)));
            await store.UpsertAsync(State(Secret) with { Vector = first, Evidence = first });
            await store.UpdateAsync(new UserId(Secret), s => s! with { Vector = second, Evidence = Enumerable.Repeat(-8765.4321f, 3000).ToArray() });
            await store.UpsertAsync(State("keep-after", 99));

            // The control: before the delete, the user is in the files (the log keeps every version written).
            Assert.True(await StoreFiles.EventuallyAsync(() =>
                StoreFiles.FilesContaining(_directory.Path, idBytes).Count > 0
                && StoreFiles.FilesContaining(_directory.Path, Bytes(first)).Count > 0
                && StoreFiles.FilesContaining(_directory.Path, Bytes(second)).Count > 0));

            Assert.True(await store.DeleteAsync(new UserId(Secret)));

            // Gone while the store is still open...
            Assert.Empty(StoreFiles.FilesContaining(_directory.Path, idBytes));
            Assert.Empty(StoreFiles.FilesContaining(_directory.Path, Bytes(first)));
            Assert.Empty(StoreFiles.FilesContaining(_directory.Path, Bytes(second)));
            Assert.Equal(26, await store.CountAsync());
        }

        // ...and after it closes, with every other user intact.
        Assert.Empty(StoreFiles.FilesContaining(_directory.Path, idBytes));
        Assert.Empty(StoreFiles.FilesContaining(_directory.Path, Bytes(second)));
        using var reopened = new LiteDbUserStateStore(path, ReadOnly);
        Assert.Equal(26, await reopened.CountAsync());
        Assert.Equal(99f, (await reopened.GetAsync(new UserId("keep-after")))!.Vector.Span[0]);
    }

    [Fact]
    public async Task Without_scrubbing_a_deleted_user_lingers_in_the_log_until_the_store_closes()
    {
        var path = NewPath();
        const string Secret = "forget-me-later-77";
        var idBytes = Encoding.UTF8.GetBytes(Secret);
        using (var store = new LiteDbUserStateStore(path, new LiteDbUserStateStoreOptions { ScrubOnDelete = false }))
        {
            await store.UpsertManyAsync([State("a"), State(Secret), State("z")]);
            Assert.True(await store.UpdateAsync(new UserId(Secret), _ => null) is null);
            Assert.Null(await store.GetAsync(new UserId(Secret)));

            Assert.True(await StoreFiles.EventuallyAsync(() => StoreFiles.FilesContaining(_directory.Path, idBytes).Count > 0));
            Assert.Equal(["states-log.db"], StoreFiles.FilesContaining(_directory.Path, idBytes));
        }

        Assert.Empty(StoreFiles.FilesContaining(_directory.Path, idBytes));
    }

    private static float[] Pattern(float value) => Enumerable.Repeat(value, 64).ToArray();

    private static byte[] Bytes(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return bytes;
    }

    // ---- atomicity, arguments, lifetime ----

    [Fact]
    public async Task UpsertMany_that_fails_inside_LiteDB_writes_nothing_and_the_store_goes_on()
    {
        using var store = new LiteDbUserStateStore(NewPath());
        await store.UpsertAsync(State("existing", 1));

        // LiteDB refuses documents over 16 MB: the third write fails after two succeeded inside the transaction.
        var tooLarge = State("too-large") with { Evidence = new float[4_500_000] };
        var error = await Assert.ThrowsAsync<UserStateStoreException>(
            async () => await store.UpsertManyAsync([State("existing", 2), State("new", 3), tooLarge]));

        Assert.IsType<LiteException>(error.InnerException);
        Assert.Equal(1, await store.CountAsync());
        Assert.Equal(1f, (await store.GetAsync(new UserId("existing")))!.Vector.Span[0]);
        Assert.Null(await store.GetAsync(new UserId("new")));

        await store.UpsertManyAsync([State("new", 3)]);
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public async Task Invalid_arguments_are_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new LiteDbUserStateStore(null!));
        Assert.ThrowsAny<ArgumentException>(() => new LiteDbUserStateStore(" "));
        Assert.Throws<ArgumentException>(() => new LiteDbUserStateStore(":memory:", ReadOnly));
        foreach (var name in new[] { "", "1abc", "a-b", "pluralistic_meta", "PLURALISTIC_META", new string('c', 61), "é" })
        {
            Assert.Throws<ArgumentException>(() => new LiteDbUserStateStore(":memory:", new LiteDbUserStateStoreOptions { CollectionName = name }));
        }

        using var store = new LiteDbUserStateStore(":memory:");
        var nobody = default(UserId);
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.GetAsync(nobody));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.GetManyAsync([new UserId("a"), nobody]));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.DeleteAsync(nobody));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpdateAsync(nobody, s => s));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync(State("a") with { User = nobody }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertManyAsync([State("a"), null!]));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync(State("a") with { ModelKind = null! }));
        Assert.Equal(0, await store.CountAsync());
    }

    [Fact]
    public async Task A_disposed_store_refuses_every_call()
    {
        var store = new LiteDbUserStateStore(NewPath());
        await store.UpsertAsync(State("a"));
        store.Dispose();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetAsync(new UserId("a")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.UpsertAsync(State("b")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.CountAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ListAsync(store));
    }
}
