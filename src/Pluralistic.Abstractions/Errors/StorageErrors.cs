namespace Pluralistic;

/// <summary>A run directory (a trained model on disk) cannot be used.</summary>
public class RunDirectoryException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The run directory or file.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public RunDirectoryException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The run directory or file.</summary>
    public string Path { get; }
}

/// <summary>A run directory is truncated, corrupt or modified (for example the weights' SHA-256 does not match).</summary>
public sealed class CorruptRunException : RunDirectoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CorruptRunException(string path, string message, Exception? innerException = null)
        : base(path, message, innerException)
    {
    }
}

/// <summary>A file is not one this SDK wrote (a foreign manifest, store or weights file).</summary>
public sealed class ForeignFileException : RunDirectoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ForeignFileException(string path, string message, Exception? innerException = null)
        : base(path, message, innerException)
    {
    }
}

/// <summary>A run directory was written by a newer format version than this SDK reads.</summary>
public sealed class UnsupportedFormatVersionException : RunDirectoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="version">The version found.</param>
    /// <param name="supported">The newest version this SDK reads.</param>
    public UnsupportedFormatVersionException(string path, int version, int supported)
        : base(path, $"{System.IO.Path.GetFileName(path)} has format version {version}; this version of Pluralistic reads up to {supported}")
    {
        Version = version;
        Supported = supported;
    }

    /// <summary>The version found.</summary>
    public int Version { get; }

    /// <summary>The newest version this SDK reads.</summary>
    public int Supported { get; }
}

/// <summary>A user state store cannot be opened or used (locked by another process, corrupt, foreign).</summary>
public class UserStateStoreException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public UserStateStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A user's state kept changing under an adaptation: every attempt to commit the newly inferred state found that
/// another writer had committed first, and the adaptation gave up after a bounded number of attempts. States of the
/// other users in the same call that were committed before it stay committed.
/// </summary>
public sealed class UserStateConflictException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="user">The user whose state kept changing.</param>
    /// <param name="attempts">How many times the state was inferred and a commit attempted.</param>
    public UserStateConflictException(UserId user, int attempts)
        : base($"the state of user '{user}' changed under every one of {attempts} attempts to adapt it (other writers are adapting the same user); try again")
    {
        User = user;
        Attempts = attempts;
    }

    /// <summary>The user whose state kept changing.</summary>
    public UserId User { get; }

    /// <summary>How many times the state was inferred and a commit attempted.</summary>
    public int Attempts { get; }
}

/// <summary>
/// A stored user state does not match its integrity checksum (see <see cref="UserStateChecksum"/>): its vector,
/// evidence or model fingerprint changed after it was written. The state is not used; re-adapt the user from their
/// pairs, or delete the state, to recover.
/// </summary>
public sealed class UserStateIntegrityException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="user">The user whose state is damaged.</param>
    /// <param name="store">The store (a path, a table), for the message.</param>
    public UserStateIntegrityException(UserId user, string store)
        : base($"The state of user '{user}' in the user state store '{store}' does not match its checksum (its vector, evidence or model fingerprint changed after it was written); it is not used. Adapt the user again or delete the state.")
    {
        User = user;
        Store = store;
    }

    /// <summary>The user whose state is damaged.</summary>
    public UserId User { get; }

    /// <summary>The store, as named in the message.</summary>
    public string Store { get; }
}
