using LiteDB;

namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// The one LiteDB database of a file in this process, shared by every store instance opened on that file and by all
/// threads (LiteDB's direct mode is thread-safe within one instance; two instances on one file corrupt it). Counted
/// references close it with the last store. A writable open of a file that is open read-only here upgrades the shared
/// database in place: the writer wins, and the read-only stores keep working on the upgraded database.
/// </summary>
internal sealed class SharedDatabase : IDisposable
{
    private static readonly Dictionary<string, SharedDatabase> OpenFiles = new(
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    private static readonly Lock RegistryLock = new();

    // Operations hold the gate for reading while they use the database; an upgrade holds it for writing while it
    // swaps the database. Every use is synchronous, so the thread affinity of the lock is no constraint.
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.SupportsRecursion);
    private readonly bool _registered;
    private OpenedDatabase _opened;
    private int _references = 1;

    private SharedDatabase(string path, OpenedDatabase opened, bool registered)
    {
        Path = path;
        _opened = opened;
        _registered = registered;
    }

    /// <summary>The full path of the file, or <c>:memory:</c>.</summary>
    public string Path { get; }

    /// <summary>
    /// Serializes writes to the database from this process (the lock file keeps other processes out), so a
    /// read-modify-write of one user cannot interleave with another write: no lost updates, no retries.
    /// </summary>
    public Lock WriteLock { get; } = new();

    /// <summary>Opens or joins the shared database of a path.</summary>
    /// <param name="path">A file path, or <c>:memory:</c> for a private database in memory.</param>
    /// <param name="readOnly">Whether the caller only reads.</param>
    /// <returns>The shared database; dispose it once when done.</returns>
    public static SharedDatabase Acquire(string path, bool readOnly)
    {
        if (path == StoreFile.MemoryPath)
        {
            return new SharedDatabase(path, StoreFile.OpenMemory(), registered: false);
        }

        var fullPath = System.IO.Path.GetFullPath(path);
        lock (RegistryLock)
        {
            if (OpenFiles.TryGetValue(fullPath, out var shared))
            {
                if (!readOnly && !shared._opened.Writable)
                {
                    shared.UpgradeToWritable();
                }

                shared._references++;
                return shared;
            }

            shared = new SharedDatabase(fullPath, StoreFile.Open(fullPath, writable: !readOnly), registered: true);
            OpenFiles.Add(fullPath, shared);
            return shared;
        }
    }

    /// <summary>Runs a synchronous action that only reads the database.</summary>
    /// <param name="action">The action.</param>
    /// <returns>What the action returns.</returns>
    public T Use<T>(Func<LiteDatabase, T> action)
    {
        _gate.EnterReadLock();
        try
        {
            return action(_opened.Database);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Runs a synchronous action that writes, under <see cref="WriteLock"/> (the caller holds it), and returns once
    /// every page it committed is in the log file.
    /// </summary>
    /// <remarks>
    /// LiteDB 5.0's log writer is an async loop awaiting a <see cref="TaskCompletionSource{TResult}"/> that a commit
    /// completes; created without <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, it resumes inline
    /// on the committing thread, which then writes the transaction's pages and fsyncs the log about once per page
    /// before the commit returns (a batch of 1,000 states: dozens of fsyncs). While the action runs, the thread carries
    /// a <see cref="SynchronizationContext"/> of a type of its own, under which .NET does not inline continuations: the
    /// writer resumes on the thread pool and writes many pages per fsync. The <see cref="LogWriteBarrier"/> then waits
    /// until the writer has handed every page to the operating system, so an acknowledged write survives a killed
    /// process, as it did with the inline writer. Where the barrier is unavailable, the inline writer is kept.
    /// </remarks>
    /// <param name="action">The action.</param>
    /// <returns>What the action returns.</returns>
    public T Write<T>(Func<LiteDatabase, T> action)
    {
        _gate.EnterReadLock();
        try
        {
            var opened = _opened;
            if (opened.LogBarrier is not { } barrier)
            {
                return action(opened.Database);
            }

            var previous = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(NoInlining.Instance);
            try
            {
                return action(opened.Database);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(previous);
                barrier.Wait();
            }
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>Drops one reference; the last closes the database and releases the lock file.</summary>
    public void Dispose()
    {
        if (!_registered)
        {
            Close();
            return;
        }

        // Closing inside the registry lock: a concurrent open of the same path must not find the file still locked
        // by a database that is on its way out.
        lock (RegistryLock)
        {
            if (--_references > 0)
            {
                return;
            }

            OpenFiles.Remove(Path);
            Close();
        }
    }

    private void Close()
    {
        _gate.EnterWriteLock();
        try
        {
            _opened.Dispose();
        }
        finally
        {
            _gate.ExitWriteLock();
            _gate.Dispose();
        }
    }

    private void UpgradeToWritable()
    {
        _gate.EnterWriteLock();
        try
        {
            // flock cannot turn this process's shared lock into an exclusive one through a second descriptor: the two
            // would conflict. Let go of the shared lock first, and take it back if the writable open fails.
            _opened.ReleaseLock();
            OpenedDatabase upgraded;
            try
            {
                upgraded = StoreFile.Open(Path, writable: true);
            }
            catch
            {
                TryRelock();
                throw;
            }

            _opened.Dispose();
            _opened = upgraded;
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    private void TryRelock()
    {
        try
        {
            _opened.AdoptLock(StoreFile.AcquireLock(Path, exclusive: false));
        }
        catch (UserStateStoreException)
        {
            // Another process took the file for writing in between: the read-only stores go on without the shared
            // lock, as they would on read-only media. Rare, and reads then may report the file corrupt.
        }
    }

    // Only its type matters: continuations are not inlined under a context whose type is not SynchronizationContext.
    // Nothing is ever posted to it (LiteDB's writer captured no context when it awaited).
    private sealed class NoInlining : SynchronizationContext
    {
        public static readonly NoInlining Instance = new();
    }
}
