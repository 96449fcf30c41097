namespace Pluralistic;

/// <summary>A vector given to a model has a different length from what the model was trained on.</summary>
public sealed class DimensionMismatchException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="what">Which vector (for example "response embedding").</param>
    /// <param name="expected">The length the model expects.</param>
    /// <param name="actual">The length given.</param>
    public DimensionMismatchException(string what, int expected, int actual)
        : base($"{what} has dimension {actual}, but the model expects {expected}")
    {
        What = what;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Which vector.</summary>
    public string What { get; }

    /// <summary>The length the model expects.</summary>
    public int Expected { get; }

    /// <summary>The length given.</summary>
    public int Actual { get; }
}

/// <summary>A user has no stored state and no context pairs were given, and cold-start scoring is off.</summary>
public sealed class UnknownUserException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="user">The user.</param>
    public UnknownUserException(UserId user)
        : base($"unknown user '{user}': the model has no state for this user; give context pairs (adapt) first, or allow cold-start scoring")
    {
        User = user;
    }

    /// <summary>The user.</summary>
    public UserId User { get; }
}

/// <summary>An operation that learns from a user's pairs was given none.</summary>
public sealed class EmptyContextException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was empty.</param>
    public EmptyContextException(string message)
        : base(message)
    {
    }
}

/// <summary>A model kind name is not one the SDK knows.</summary>
public sealed class UnknownModelKindException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The name given.</param>
    /// <param name="available">The kinds that exist.</param>
    /// <param name="detail">Why it is not available, when the kind is known but not implemented yet.</param>
    public UnknownModelKindException(string kind, IReadOnlyList<string> available, string? detail = null)
        : base(detail ?? $"unknown model kind '{kind}'; available: {string.Join(", ", available)}")
    {
        Kind = kind;
        Available = available;
    }

    /// <summary>The name given.</summary>
    public string Kind { get; }

    /// <summary>The kinds that exist.</summary>
    public IReadOnlyList<string> Available { get; }
}

/// <summary>A model was asked for something only other methods can do (for example scoring with a direction).</summary>
public sealed class CapabilityNotSupportedException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelKind">The model kind.</param>
    /// <param name="capability">What was asked for.</param>
    public CapabilityNotSupportedException(string modelKind, string capability)
        : base($"model kind '{modelKind}' does not support {capability}")
    {
        ModelKind = modelKind;
        Capability = capability;
    }

    /// <summary>The model kind.</summary>
    public string ModelKind { get; }

    /// <summary>What was asked for.</summary>
    public string Capability { get; }
}

/// <summary>
/// A model was given to be saved as a run, but nothing inside it is a model the run format can hold (the SDK's torch
/// models, found through <c>GetService</c> under any middleware).
/// </summary>
public sealed class ModelNotSavableException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelKind">The model's kind (its metadata).</param>
    /// <param name="modelType">The type of the model given.</param>
    public ModelNotSavableException(string modelKind, string modelType)
        : base($"model kind '{modelKind}' ({modelType}) cannot be saved as a run: only the SDK's torch models (TorchUserRewardModel, reached through GetService under any middleware) can")
    {
        ModelKind = modelKind;
        ModelType = modelType;
    }

    /// <summary>The model's kind.</summary>
    public string ModelKind { get; }

    /// <summary>The type of the model given.</summary>
    public string ModelType { get; }
}

/// <summary>A stored user state belongs to a different population model (another kind, or other weights).</summary>
public sealed class UserStateMismatchException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="user">The user.</param>
    /// <param name="expected">The kind and fingerprint of the model in use.</param>
    /// <param name="actual">The kind and fingerprint the state was written for.</param>
    public UserStateMismatchException(UserId user, string expected, string actual)
        : base($"the stored state of user '{user}' was written for model {actual}, not for {expected}; re-adapt the user")
    {
        User = user;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The user.</summary>
    public UserId User { get; }

    /// <summary>The model in use.</summary>
    public string Expected { get; }

    /// <summary>The model the state was written for.</summary>
    public string Actual { get; }
}

/// <summary>
/// Text would be embedded by another embedder than the one that made the model's training vectors (another model,
/// another dimension, or vectors that do not reproduce the run's probe sketch): the rewards would be meaningless.
/// </summary>
public sealed class EmbedderMismatchException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="expected">The embedder the model was trained with.</param>
    /// <param name="actual">The embedder given, described.</param>
    /// <param name="reason">What differs.</param>
    public EmbedderMismatchException(TextEmbedderInfo expected, string actual, string reason)
        : base($"the model's training vectors were made by text embedder {expected?.Describe()}, but text would be embedded by {actual}: {reason}; embed with the run's own embedder, or train a run with this one")
    {
        ArgumentNullException.ThrowIfNull(expected);
        Expected = expected;
        Actual = actual;
        Reason = reason;
    }

    /// <summary>The embedder the model was trained with.</summary>
    public TextEmbedderInfo Expected { get; }

    /// <summary>The embedder given, described.</summary>
    public string Actual { get; }

    /// <summary>What differs.</summary>
    public string Reason { get; }
}

/// <summary>A text embedder name is not one this SDK (or a registered extension) can make or rebuild.</summary>
public sealed class UnknownTextEmbedderException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="name">The name given.</param>
    /// <param name="available">The embedder kinds that exist.</param>
    /// <param name="detail">A message to use instead of the default one.</param>
    public UnknownTextEmbedderException(string name, IReadOnlyList<string> available, string? detail = null)
        : base(detail ?? $"unknown text embedder '{name}'; available: {string.Join(", ", available ?? [])}")
    {
        Name = name;
        Available = available ?? [];
    }

    /// <summary>The name given.</summary>
    public string Name { get; }

    /// <summary>The embedder kinds that exist.</summary>
    public IReadOnlyList<string> Available { get; }
}
