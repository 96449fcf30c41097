namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// A LiteDB store's log (<c>&lt;name&gt;-log&lt;ext&gt;</c>, left by a writer that stopped before a checkpoint) cannot
/// be replayed safely: it is torn, damaged, or belongs to another database. Raised before anything is written; the
/// message says what to do.
/// </summary>
public sealed class UserStateStoreRecoveryException : UserStateStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The store's data file.</param>
    /// <param name="logPath">The log that was refused.</param>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public UserStateStoreRecoveryException(string path, string logPath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
        LogPath = logPath;
    }

    /// <summary>The store's data file.</summary>
    public string Path { get; }

    /// <summary>The log that was refused.</summary>
    public string LogPath { get; }
}
