namespace Pluralistic;

/// <summary>A direction named an objective the model does not have.</summary>
public sealed class UnknownObjectiveException : PluralisticException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="objective">The name given.</param>
    /// <param name="knownObjectives">The model's objectives.</param>
    public UnknownObjectiveException(string objective, IReadOnlyList<string> knownObjectives)
        : base($"unknown objective '{objective}'; the model's objectives are: {(knownObjectives is { Count: > 0 } ? string.Join(", ", knownObjectives) : "(none)")}")
    {
        Objective = objective;
        KnownObjectives = knownObjectives ?? [];
    }

    /// <summary>The name given.</summary>
    public string Objective { get; }

    /// <summary>The model's objectives.</summary>
    public IReadOnlyList<string> KnownObjectives { get; }
}
