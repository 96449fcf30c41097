using LiteDB;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Storage;

/// <summary>Every LiteDB document carries the state's checksum; a document changed behind the store's back is refused.</summary>
public sealed class LiteDbChecksumTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static UserState State(string user, float seed = 1f) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "0123456789abcdef",
        Vector = new[] { seed, seed + 1, seed + 2 },
        Evidence = new[] { seed, 2 * seed, 0.5f },
        EvidenceCount = 1,
        Revision = 1,
    };

    private static async Task<string> WriteAsync(string path, params UserState[] states)
    {
        using var store = new LiteDbUserStateStore(path);
        await store.UpsertManyAsync(states);
        return path;
    }

    /// <summary>Changes a stored document directly in the file, as a disk fault or another program would.</summary>
    private static void Tamper(string path, string user, Action<BsonDocument> change)
    {
        using var db = new LiteDatabase(new ConnectionString { Filename = path });
        var collection = db.GetCollection(LiteDbUserStateStoreOptions.DefaultCollectionName);
        var document = collection.FindById(user);
        change(document);
        Assert.True(collection.Update(document));
    }

    [Fact]
    public async Task Every_document_carries_the_checksum_of_its_state()
    {
        var state = State("alice");
        var path = await WriteAsync(_directory.File("states.db"), state);

        using var db = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
        var document = db.GetCollection(LiteDbUserStateStoreOptions.DefaultCollectionName).FindById("alice");
        Assert.Equal(UserStateChecksum.Compute(state), document["checksum"].AsBinary);
    }

    [Theory]
    [InlineData("vector")]
    [InlineData("evidence")]
    [InlineData("fingerprint")]
    public async Task A_document_changed_behind_the_stores_back_is_a_typed_error_naming_the_user(string field)
    {
        var path = await WriteAsync(_directory.File("states.db"), State("intact", 1), State("tampered", 2));
        Tamper(path, "tampered", document =>
        {
            if (field == "fingerprint")
            {
                document[field] = "fedcba9876543210";
            }
            else
            {
                var bytes = document[field].AsBinary;
                bytes[0] ^= 1;
                document[field] = bytes;
            }
        });

        using var store = new LiteDbUserStateStore(path);
        var error = await Assert.ThrowsAsync<UserStateIntegrityException>(async () => await store.GetAsync(new UserId("tampered")));
        Assert.Equal(new UserId("tampered"), error.User);
        Assert.Contains("'tampered'", error.Message, StringComparison.Ordinal);
        Assert.Equal(new UserId("tampered"), (await Assert.ThrowsAsync<UserStateIntegrityException>(async () => await store.GetManyAsync([new UserId("tampered")]))).User);
        Assert.Equal(1f, (await store.GetAsync(new UserId("intact")))!.Vector.Span[0]);
    }

    [Fact]
    public async Task A_legacy_document_without_a_checksum_still_reads_and_gets_one_on_its_next_write()
    {
        var path = await WriteAsync(_directory.File("states.db"), State("legacy", 3));
        Tamper(path, "legacy", document => document.Remove("checksum"));

        using (var store = new LiteDbUserStateStore(path))
        {
            Assert.Equal(3f, (await store.GetAsync(new UserId("legacy")))!.Vector.Span[0]);
            await store.UpdateAsync(new UserId("legacy"), s => s! with { PairCount = 1 });
        }

        using var db = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
        var document = db.GetCollection(LiteDbUserStateStoreOptions.DefaultCollectionName).FindById("legacy");
        Assert.Equal(UserStateChecksum.Length, document["checksum"].AsBinary.Length);
    }

    [Fact]
    public void The_checksum_covers_vector_evidence_and_fingerprint_but_not_counters()
    {
        var state = State("u");
        var checksum = UserStateChecksum.Compute(state);

        Assert.True(UserStateChecksum.Matches(state with { PairCount = 9, Revision = 5, UpdatedUtc = DateTimeOffset.UnixEpoch }, checksum));
        Assert.False(UserStateChecksum.Matches(state with { Vector = new[] { 1f, 2f, 3.0001f } }, checksum));
        Assert.False(UserStateChecksum.Matches(state with { Evidence = new[] { 1f, 2f } }, checksum));
        Assert.False(UserStateChecksum.Matches(state with { ModelFingerprint = "other" }, checksum));
        Assert.False(UserStateChecksum.Matches(state with { User = new UserId("v") }, checksum));
        Assert.False(UserStateChecksum.Matches(state, checksum.AsSpan(1)));
    }
}
