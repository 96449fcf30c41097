namespace Pluralistic;

/// <summary>The base of every error the SDK raises on purpose: catch it to handle any of them.</summary>
public class PluralisticException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PluralisticException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong, in words a user can act on.</param>
    public PluralisticException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What went wrong, in words a user can act on.</param>
    /// <param name="innerException">The underlying error.</param>
    public PluralisticException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
