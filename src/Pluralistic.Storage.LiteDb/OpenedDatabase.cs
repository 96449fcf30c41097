using LiteDB;

namespace Pluralistic.Storage.LiteDb;

/// <summary>One open LiteDB database with what it owns: its lock file and, when read-only, the streams it reads.</summary>
internal sealed class OpenedDatabase : IDisposable
{
    private readonly Stream? _dataStream;
    private readonly Stream? _logStream;
    private FileStream? _lockFile;

    public OpenedDatabase(LiteDatabase database, bool writable, Stream? dataStream = null, Stream? logStream = null)
    {
        Database = database;
        Writable = writable;
        LogBarrier = writable ? LogWriteBarrier.For(database) : null;
        _dataStream = dataStream;
        _logStream = logStream;
    }

    /// <summary>The database.</summary>
    public LiteDatabase Database { get; }

    /// <summary>Whether the database was opened for writing.</summary>
    public bool Writable { get; }

    /// <summary>Waits for LiteDB's log writer after a commit; <see langword="null"/> when read-only or where LiteDB hides it.</summary>
    public LogWriteBarrier? LogBarrier { get; }

    /// <summary>Takes ownership of the lock file, released on dispose.</summary>
    public void AdoptLock(FileStream? lockFile) => _lockFile = lockFile;

    /// <summary>Lets go of the lock file early (before the same process takes it again another way).</summary>
    public void ReleaseLock()
    {
        _lockFile?.Dispose();
        _lockFile = null;
    }

    /// <summary>Closes the database (LiteDB checkpoints a writable one), then its streams, then the lock.</summary>
    public void Dispose()
    {
        try
        {
            Database.Dispose();
        }
        finally
        {
            _logStream?.Dispose();
            _dataStream?.Dispose();
            ReleaseLock();
        }
    }
}
