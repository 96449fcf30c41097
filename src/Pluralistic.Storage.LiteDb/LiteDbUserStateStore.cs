using System.Runtime.CompilerServices;
using LiteDB;
using static Pluralistic.UserStateArguments;

namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// The embedded default <see cref="IUserStateStore"/>: user states in one LiteDB file, keyed by user id.
/// </summary>
/// <remarks>
/// <para>
/// One LiteDB database per file per process, shared by every instance opened on the same full path and by all
/// threads; the last instance to be disposed closes it. A lock file (<c>&lt;file&gt;.lock</c>, left on disk) keeps
/// other processes out: held exclusively by a writable store, shared by read-only ones.
/// </para>
/// <para>
/// A read-only store never writes its file (it reads through read-only streams). When the same process also opens
/// the file for writing, the writer wins: the shared database is reopened for writing, and the read-only instance
/// goes on refusing writes of its own while it sees the writer's.
/// </para>
/// <para>
/// Vectors are stored as little-endian float32 bytes; dates as UTC ticks, so they round-trip to the tick, always
/// with offset zero. The file carries a format marker; foreign, corrupt, truncated or newer files are refused with a
/// <see cref="UserStateStoreException"/> and left unchanged. Deleted users are zeroed by LiteDB and, with
/// <see cref="LiteDbUserStateStoreOptions.ScrubOnDelete"/>, checkpointed out of the log at once.
/// </para>
/// <para>
/// A write is committed (visible to every reader) when its call returns; LiteDB 5 then appends it to its log file on
/// a background thread, so a process killed at that instant can lose its last writes, never half a transaction.
/// </para>
/// </remarks>
public sealed class LiteDbUserStateStore : IUserStateStore
{
    // Listing reads this many states per short read transaction: LiteDB cursors are bound to a thread and must not
    // stay open across the awaits of an async enumeration.
    private const int ListBatchSize = 256;

    private readonly SharedDatabase _shared;
    private readonly string _collectionName;
    private readonly bool _scrubOnDelete;
    private int _disposed;

    /// <summary>Opens (and, when writable and new, creates) a store.</summary>
    /// <param name="path">
    /// The database file, or <c>:memory:</c> for a database in memory that only this instance sees and that is gone
    /// when it is disposed.
    /// </param>
    /// <param name="options">How to open it; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The path is empty, the collection name invalid, or a memory store read-only.</exception>
    /// <exception cref="UserStateStoreException">
    /// The file is in use by another process, does not exist (read-only), is corrupt, foreign, or of a newer format.
    /// </exception>
    public LiteDbUserStateStore(string path, LiteDbUserStateStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new LiteDbUserStateStoreOptions();
        if (!IsValidCollectionName(options.CollectionName))
        {
            throw new ArgumentException(
                $"'{options.CollectionName}' is not a valid collection name: use letters, digits and underscores, start with a letter or an " +
                $"underscore, at most 60 characters, and not '{StoreFile.MetaCollection}'.",
                nameof(options));
        }

        if (options.ReadOnly && path == StoreFile.MemoryPath)
        {
            throw new ArgumentException("A ':memory:' store starts empty and cannot be read-only.", nameof(options));
        }

        _collectionName = options.CollectionName;
        _scrubOnDelete = options.ScrubOnDelete;
        IsReadOnly = options.ReadOnly;
        _shared = SharedDatabase.Acquire(path, options.ReadOnly);
        Path = _shared.Path;
        if (!IsReadOnly)
        {
            // The collection exists before any read: LiteDB creates it lazily on the first write, and a read that
            // overlaps that creation fails with "page type must be collection page" (concurrent first requests).
            lock (_shared.WriteLock)
            {
                RunWrite("create the states collection", CreateCollection);
            }
        }
    }

    /// <summary>The full path of the database file, or <c>:memory:</c>.</summary>
    public string Path { get; }

    /// <summary>
    /// Takes the lock a writable store of <paramref name="path"/> takes (its <c>.lock</c> file, exclusively) without
    /// opening the file: while it is held no other process can open the store, for writing or reading. For code that
    /// replaces or removes a store file as a whole (a run directory overwritten by training).
    /// </summary>
    /// <param name="path">The database file (it need not exist; its directory must).</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <exception cref="UserStateStoreException">Another process has the store open, or the lock file cannot be created.</exception>
    public static IDisposable LockExclusively(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return StoreFile.AcquireLock(System.IO.Path.GetFullPath(path), exclusive: true)!;
    }

    /// <summary>Whether this instance refuses writes (see <see cref="LiteDbUserStateStoreOptions.ReadOnly"/>).</summary>
    public bool IsReadOnly { get; }

    /// <inheritdoc />
    public ValueTask<UserState?> GetAsync(UserId user, CancellationToken cancellationToken = default)
    {
        ValidateUser(user);
        cancellationToken.ThrowIfCancellationRequested();
        var document = Run("read a state", db => Collection(db).FindById(user.Value));
        return ValueTask.FromResult(document is null ? null : UserStateDocument.ToState(document, Path));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<UserId, UserState>> GetManyAsync(IEnumerable<UserId> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var wanted = users.Distinct().ToList();
        foreach (var user in wanted)
        {
            ValidateUser(user, nameof(users));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var documents = Run("read states", db =>
        {
            var collection = Collection(db);
            return wanted.Select(user => collection.FindById(user.Value)).Where(d => d is not null).ToList();
        });
        var found = new Dictionary<UserId, UserState>(documents.Count);
        foreach (var document in documents)
        {
            var state = UserStateDocument.ToState(document, Path);
            found[state.User] = state;
        }

        return ValueTask.FromResult<IReadOnlyDictionary<UserId, UserState>>(found);
    }

    /// <inheritdoc />
    public ValueTask UpsertAsync(UserState state, CancellationToken cancellationToken = default)
    {
        ValidateState(state, nameof(state));
        ThrowIfReadOnly("write a state");
        var document = UserStateDocument.ToDocument(state);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_shared.WriteLock)
        {
            RunWrite("write a state", db => Collection(db).Upsert(document));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask UpsertManyAsync(IEnumerable<UserState> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        var batch = states.ToList();
        foreach (var state in batch)
        {
            if (state is null)
            {
                throw new ArgumentException("The batch contains a null state.", nameof(states));
            }

            ValidateState(state, nameof(states));
        }

        ThrowIfReadOnly("write states");
        var documents = batch.ConvertAll(UserStateDocument.ToDocument);
        cancellationToken.ThrowIfCancellationRequested();
        if (documents.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        lock (_shared.WriteLock)
        {
            // One transaction: LiteDB transactions belong to the calling thread, and this block never awaits.
            RunWrite("write states", db =>
            {
                if (!db.BeginTrans())
                {
                    throw new UserStateStoreException($"The user state store '{Path}' cannot write states: a LiteDB transaction is already open on this thread.");
                }

                try
                {
                    // One engine call for the batch: one snapshot and one set of collection, index and data services,
                    // instead of one per document.
                    Collection(db).Upsert(documents);
                    return db.Commit();
                }
                catch
                {
                    db.Rollback();
                    throw;
                }
            });
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The update runs once, under this file's write lock, with no LiteDB transaction open; it must not write to a
    /// store on the same file.
    /// </remarks>
    public ValueTask<UserState?> UpdateAsync(UserId user, Func<UserState?, UserState?> update, CancellationToken cancellationToken = default)
    {
        ValidateUser(user);
        ArgumentNullException.ThrowIfNull(update);
        ThrowIfReadOnly("update a state");
        cancellationToken.ThrowIfCancellationRequested();
        lock (_shared.WriteLock)
        {
            var document = Run("read a state", db => Collection(db).FindById(user.Value));
            var current = document is null ? null : UserStateDocument.ToState(document, Path);
            var next = update(current);
            if (next is not null)
            {
                ValidateState(next, nameof(update));
                if (next.User != user)
                {
                    throw new ArgumentException($"update returned a state of user '{next.User}' for user '{user}'", nameof(update));
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (next is not null)
            {
                var written = UserStateDocument.ToDocument(next);
                RunWrite("write a state", db => Collection(db).Upsert(written));
            }
            else if (current is not null)
            {
                Remove(user);
            }

            return ValueTask.FromResult(next);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(UserId user, CancellationToken cancellationToken = default)
    {
        ValidateUser(user);
        ThrowIfReadOnly("delete a state");
        cancellationToken.ThrowIfCancellationRequested();
        lock (_shared.WriteLock)
        {
            return ValueTask.FromResult(Remove(user));
        }
    }

    /// <inheritdoc />
    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Run("count states", db => Collection(db).Count()));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reads in batches of short transactions: states written or deleted during the enumeration may or may not be
    /// seen, but every state present throughout is listed once, in ordinal user-id order.
    /// </remarks>
    public async IAsyncEnumerable<UserState> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var last = after;
            var batch = Run("list states", db =>
            {
                var query = Collection(db).Query();
                if (last is not null)
                {
                    query = query.Where(Query.GT("_id", last));
                }

                return query.OrderBy("_id", Query.Ascending).Limit(ListBatchSize).ToList();
            });
            foreach (var document in batch)
            {
                yield return UserStateDocument.ToState(document, Path);
            }

            if (batch.Count < ListBatchSize)
            {
                yield break;
            }

            after = batch[^1]["_id"].AsString;

            // Let other work run between batches of a long listing.
            await Task.Yield();
        }
    }

    /// <summary>Releases this instance; the last instance on a file closes the database and its lock.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _shared.Dispose();
        }
    }

    // LiteDB's own rule for collection names, kept stricter (ASCII) so a name means the same on every platform.
    private static bool IsValidCollectionName(string? name) =>
        name is { Length: > 0 and <= 60 }
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
        && !string.Equals(name, StoreFile.MetaCollection, StringComparison.OrdinalIgnoreCase);

    private ILiteCollection<BsonDocument> Collection(LiteDatabase db) => db.GetCollection(_collectionName);

    // Deletes under the write lock; with scrubbing, the checkpoint copies the zeroed pages into the data file and
    // empties the log, which still holds earlier versions of the user's pages.
    private bool Remove(UserId user)
    {
        var removed = RunWrite("delete a state", db => Collection(db).Delete(user.Value));
        if (removed && _scrubOnDelete && Path != StoreFile.MemoryPath)
        {
            Run("scrub a deleted state", db =>
            {
                db.Checkpoint();
                return true;
            });
        }

        return removed;
    }

    // LiteDB has no call that only creates a collection: a document written and deleted in one transaction leaves it
    // created and empty, and no reader ever sees the document.
    private bool CreateCollection(LiteDatabase db)
    {
        if (db.CollectionExists(_collectionName))
        {
            return false;
        }

        if (!db.BeginTrans())
        {
            throw new UserStateStoreException($"The user state store '{Path}' cannot create its collection: a LiteDB transaction is already open on this thread.");
        }

        try
        {
            var collection = Collection(db);
            var placeholder = new BsonValue("\0collection");
            collection.Insert(new BsonDocument { ["_id"] = placeholder });
            collection.Delete(placeholder);
            return db.Commit();
        }
        catch
        {
            db.Rollback();
            throw;
        }
    }

    private void ThrowIfReadOnly(string operation)
    {
        if (IsReadOnly)
        {
            throw new UserStateStoreException($"The user state store '{Path}' was opened read-only; cannot {operation}.");
        }
    }

    // Every use of LiteDB goes through here: nothing LiteDB throws reaches callers unwrapped.
    private T Run<T>(string operation, Func<LiteDatabase, T> action) => Run(operation, action, write: false);

    // Writes (under the write lock) return once their pages are in the log file.
    private T RunWrite<T>(string operation, Func<LiteDatabase, T> action) => Run(operation, action, write: true);

    private T Run<T>(string operation, Func<LiteDatabase, T> action, bool write)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return write ? _shared.Write(action) : _shared.Use(action);
        }
        catch (Exception e) when (e is not UserStateStoreException and not ObjectDisposedException && !StoreFile.IsFatal(e))
        {
            throw new UserStateStoreException($"The user state store '{Path}' could not {operation} (the file may be corrupt): {e.Message}", e);
        }
    }
}
