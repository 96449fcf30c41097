using System.Globalization;
using LiteDB;
using LiteDB.Engine;

namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// Opens, checks and initializes store files. Every LiteDB failure while opening becomes a
/// <see cref="UserStateStoreException"/>, and a file is checked through read-only streams before LiteDB may open it
/// for writing: LiteDB's own open (even with its ReadOnly flag) crops or re-initializes a truncated or foreign file,
/// which would destroy the evidence and the user's data.
/// </summary>
internal static class StoreFile
{
    /// <summary>The path LiteDB reads as "a database in memory".</summary>
    public const string MemoryPath = ":memory:";

    /// <summary>The collection that marks a file as a Pluralistic store (part of the file format).</summary>
    public const string MetaCollection = "pluralistic_meta";

    /// <summary>The id of the marker document in <see cref="MetaCollection"/>.</summary>
    public const string FormatDocumentId = "format";

    /// <summary>The format name the marker carries.</summary>
    public const string FormatName = "pluralistic-user-states";

    /// <summary>The newest format version this code reads, and the one it writes.</summary>
    public const int FormatVersion = 1;

    private const int PageSize = 8192;

    /// <summary>Opens a fresh database in memory (nothing to lock or check).</summary>
    public static OpenedDatabase OpenMemory()
    {
        var database = new LiteDatabase(WritableConnection(MemoryPath), new BsonMapper());
        try
        {
            Initialize(database);
            return new OpenedDatabase(database, writable: true);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>Locks, checks and opens a store file (creating and initializing it when writable and new).</summary>
    /// <param name="fullPath">The full path of the database file.</param>
    /// <param name="writable">Open for writing (exclusive lock) or read-only (shared lock, no writes at all).</param>
    /// <returns>The open database, owning its lock file.</returns>
    public static OpenedDatabase Open(string fullPath, bool writable)
    {
        if (!writable && !File.Exists(fullPath))
        {
            throw new UserStateStoreException($"The user state store '{fullPath}' does not exist; a read-only open never creates it.");
        }

        if (writable)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserStateStoreException($"The directory of the user state store '{fullPath}' cannot be created: {e.Message}", e);
            }
        }

        var lockFile = AcquireLock(fullPath, writable);
        try
        {
            // A log left by a writer that stopped before a checkpoint is checked before LiteDB may replay it (see StoreLog).
            StoreLog.Verify(fullPath);
            var opened = writable ? OpenWritable(fullPath) : OpenReadOnly(fullPath);
            opened.AdoptLock(lockFile);
            return opened;
        }
        catch (Exception e) when (e is not UserStateStoreException && !IsFatal(e))
        {
            lockFile?.Dispose();
            throw e switch
            {
                UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException or PathTooLongException =>
                    new UserStateStoreException($"The user state store '{fullPath}' cannot be opened: {e.Message}", e),

                // Pluralistic stores are created with ordinal collation; LiteDB refuses to open a file made with another
                // one, which means some other application wrote it.
                LiteException when e.Message.Contains("collation", StringComparison.OrdinalIgnoreCase) =>
                    new UserStateStoreException(
                        $"'{fullPath}' is not a Pluralistic user state store (foreign file): it is a LiteDB database with another collation ({e.Message})", e),
                _ => Corrupt(fullPath, e.Message, e),
            };
        }
        catch
        {
            lockFile?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes the lock file beside the database: exclusive for a writer, shared for a reader. On Linux and macOS .NET
    /// takes an advisory <c>flock</c> (LOCK_EX for <see cref="FileShare.None"/>, LOCK_SH for read access shared for
    /// reading); on Windows the sharing mode itself excludes. The lock lives as long as the returned stream; the file
    /// stays on disk, because deleting a lock file lets two processes lock two different files of the same name.
    /// </summary>
    /// <returns>The held lock, or <see langword="null"/> for a reader in a directory where no lock can be created.</returns>
    public static FileStream? AcquireLock(string fullPath, bool exclusive)
    {
        var lockPath = fullPath + ".lock";
        try
        {
            return exclusive
                ? new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read);
        }
        catch (UnauthorizedAccessException) when (!exclusive && !File.Exists(lockPath))
        {
            // A directory nobody can create the lock file in is one no writer can lock either (read-only media).
            return null;
        }
        catch (IOException e) when (e.GetType() == typeof(IOException))
        {
            // The plain IOException is the sharing violation (EWOULDBLOCK from flock on Unix).
            var holder = exclusive ? "another process" : "another process that has it open for writing";
            throw new UserStateStoreException(
                $"The user state store '{fullPath}' is in use by {holder} (its lock file '{lockPath}' is held); " +
                "close that process or use another file.",
                e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserStateStoreException($"The lock file '{lockPath}' of the user state store cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>The error for a zero-byte store file (never silently re-initialized).</summary>
    public static UserStateStoreException Empty(string path) =>
        new($"The user state store '{path}' is empty (0 bytes): it lost its content or was never written. Restore it from a backup, or delete it to start a store with no users.");

    /// <summary>Says whether an exception must never be wrapped.</summary>
    public static bool IsFatal(Exception e) => e is OutOfMemoryException or OperationCanceledException;

    /// <summary>The error for a file that is damaged or not a database at all.</summary>
    public static UserStateStoreException Corrupt(string path, string detail, Exception? inner = null) =>
        new($"The user state store '{path}' is corrupt or truncated: {detail}", inner);

    private static OpenedDatabase OpenReadOnly(string fullPath)
    {
        if (new FileInfo(fullPath).Length == 0)
        {
            throw Empty(fullPath);
        }

        var opened = OpenThroughReadOnlyStreams(fullPath);
        try
        {
            if (!InspectWithLog(opened.Database, fullPath))
            {
                throw new UserStateStoreException(
                    $"'{fullPath}' is an empty LiteDB database without the Pluralistic marker; open it writable once to initialize it.");
            }

            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    private static OpenedDatabase OpenWritable(string fullPath)
    {
        var existing = new FileInfo(fullPath);
        if (existing.Exists && existing.Length == 0)
        {
            // LiteDB would initialize it as a new, empty store; a store file that lost its content must be seen.
            throw Empty(fullPath);
        }

        if (existing.Exists)
        {
            using var probe = OpenThroughReadOnlyStreams(fullPath);
            InspectWithLog(probe.Database, fullPath);
        }

        var database = new LiteDatabase(WritableConnection(fullPath), new BsonMapper());
        try
        {
            if (!Inspect(database, fullPath))
            {
                Initialize(database);
            }

            return new OpenedDatabase(database, writable: true);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    // Direct mode (one engine per process, shared by all threads); ordinal collation because user ids are compared
    // ordinally (LiteDB's default ignores case, so "Alice" and "alice" would be one document). The collation only
    // applies to new files; Inspect checks existing ones. No upgrade or auto-rebuild: both rewrite the file.
    private static ConnectionString WritableConnection(string path) => new()
    {
        Filename = path,
        Connection = ConnectionType.Direct,
        Collation = Collation.Binary,
        ReadOnly = false,
        Upgrade = false,
        AutoRebuild = false,
    };

    // Reads through streams this code opened read-only, so nothing LiteDB attempts can change the files: a write it
    // would need (a file to crop or initialize) fails with NotSupportedException instead. The log file, when a writer
    // stopped before a checkpoint, is read too, so committed states in it are seen.
    private static OpenedDatabase OpenThroughReadOnlyStreams(string fullPath)
    {
        Stream? data = null;
        Stream? log = null;
        try
        {
            data = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var logPath = LogPath(fullPath);
            log = File.Exists(logPath) ? new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite) : new MemoryStream();
            var engine = new LiteEngine(new EngineSettings
            {
                DataStream = data,
                LogStream = log,
                ReadOnly = true,
                Collation = Collation.Binary,
                Upgrade = false,
                AutoRebuild = false,
            });
            return new OpenedDatabase(new LiteDatabase(engine, new BsonMapper(), disposeOnClose: true), writable: false, data, log);
        }
        catch
        {
            log?.Dispose();
            data?.Dispose();
            throw;
        }
    }

    private static string LogPath(string fullPath) => StoreLog.PathOf(fullPath);

    // Inspects a database opened through read-only streams. With a pending log, LiteDB's view already includes the
    // log's transactions: every document of that view must then read before a writable open may replay the log into
    // the data file, so a log whose pages fit the file but whose content belongs elsewhere is refused while nothing
    // has been written.
    private static bool InspectWithLog(LiteDatabase database, string path)
    {
        if (!StoreLog.IsPending(path))
        {
            return Inspect(database, path);
        }

        try
        {
            var marked = Inspect(database, path);
            foreach (var name in database.GetCollectionNames())
            {
                foreach (var document in database.GetCollection(name).FindAll())
                {
                    if (!document.TryGetValue("_id", out _))
                    {
                        throw StoreLog.Refuse(path, $"a document of collection '{name}' has no id with the log replayed");
                    }
                }
            }

            return marked;
        }
        catch (Exception e) when (e is not UserStateStoreRecoveryException && !IsFatal(e))
        {
            throw StoreLog.Refuse(path, $"the store does not read with it replayed ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    /// <summary>Checks a database is a usable store.</summary>
    /// <returns><see langword="true"/> when it carries the marker; <see langword="false"/> when it has no collections yet.</returns>
    private static bool Inspect(LiteDatabase database, string path)
    {
        CheckLength(database, path);
        var names = database.GetCollectionNames().ToList();
        if (!names.Contains(MetaCollection, StringComparer.OrdinalIgnoreCase))
        {
            if (names.Count > 0)
            {
                throw new UserStateStoreException(
                    $"'{path}' is not a Pluralistic user state store (foreign file): it is a LiteDB database with the collections " +
                    $"{string.Join(", ", names.Order(StringComparer.Ordinal))} and no '{MetaCollection}' marker.");
            }

            CheckCollation(database, path);
            return false;
        }

        var marker = database.GetCollection(MetaCollection).FindById(FormatDocumentId);
        if (marker is null || !marker.TryGetValue("name", out var name) || !name.IsString || name.AsString != FormatName)
        {
            throw new UserStateStoreException(
                $"'{path}' is not a Pluralistic user state store (foreign file): its '{MetaCollection}' collection does not name the format '{FormatName}'.");
        }

        if (!marker.TryGetValue("version", out var version) || !version.IsInt32 || version.AsInt32 < 1)
        {
            throw Corrupt(path, "its format marker has no valid version.");
        }

        if (version.AsInt32 > FormatVersion)
        {
            throw new UserStateStoreException(
                $"The user state store '{path}' has format version {version.AsInt32}; this version of Pluralistic reads up to {FormatVersion}.");
        }

        CheckCollation(database, path);
        return true;
    }

    // LiteDB opens a file cut at a page boundary without complaint and fails only when a missing page is read: the
    // header's last page id tells how long the file must be (when no log holds pages that are not in it yet).
    private static void CheckLength(LiteDatabase database, string path)
    {
        using var reader = database.Execute("SELECT $ FROM $database");
        if (!reader.Read() || !reader.Current.IsDocument)
        {
            throw Corrupt(path, "LiteDB reports no database header.");
        }

        var info = reader.Current.AsDocument;
        var lastPage = Number(info, "lastPageID");
        var dataSize = Number(info, "dataFileSize");
        var logSize = Number(info, "logFileSize");
        if (logSize == 0 && dataSize < (lastPage + 1) * PageSize)
        {
            throw Corrupt(path, string.Create(CultureInfo.InvariantCulture, $"the header expects at least {(lastPage + 1) * PageSize} bytes but the file has {dataSize}."));
        }
    }

    private static long Number(BsonDocument document, string name) =>
        document.TryGetValue(name, out var value) && value.IsNumber ? Convert.ToInt64(value.RawValue, CultureInfo.InvariantCulture) : 0;

    private static void CheckCollation(LiteDatabase database, string path)
    {
        if (database.Collation.SortOptions != CompareOptions.Ordinal)
        {
            throw new UserStateStoreException(
                $"The user state store '{path}' uses the LiteDB collation '{database.Collation}'; Pluralistic stores need ordinal " +
                "collation (user ids are compared ordinally, case included).");
        }
    }

    private static void Initialize(LiteDatabase database) =>
        database.GetCollection(MetaCollection).Insert(new BsonDocument
        {
            ["_id"] = FormatDocumentId,
            ["name"] = FormatName,
            ["version"] = FormatVersion,
        });
}
