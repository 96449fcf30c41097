namespace Pluralistic;

/// <summary>Per-call options for scoring.</summary>
public sealed record ScoringOptions
{
    /// <summary>Default options: unknown users are an error.</summary>
    public static ScoringOptions Default { get; } = new();

    /// <summary>
    /// When true, a user with no stored state is scored with the population-level (cold-start) state instead of
    /// raising <see cref="UnknownUserException"/>.
    /// </summary>
    public bool AllowColdStart { get; init; }

    /// <summary>
    /// An explicit preference direction over named objectives (DPA-style control) used for every user of the call
    /// instead of the users' own states. Models without objectives raise <see cref="CapabilityNotSupportedException"/>.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Direction { get; init; }
}

/// <summary>Per-call options for adapting users.</summary>
public sealed record AdaptationOptions
{
    /// <summary>Default options: refine each user's state with the new pairs on top of what the store holds.</summary>
    public static AdaptationOptions Default { get; } = new();

    /// <summary>When true, forget what the store holds for each user and learn from the given pairs alone.</summary>
    public bool Replace { get; init; }

    /// <summary>When false, the new states are returned but not written to the store.</summary>
    public bool Persist { get; init; } = true;
}

/// <summary>What adapting users did.</summary>
/// <param name="Users">Per user, how many pairs the new state was inferred from.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record AdaptationResult(IReadOnlyList<UserAdaptation> Users, TimeSpan Elapsed);

/// <summary>One user's adaptation.</summary>
/// <param name="User">The user.</param>
/// <param name="NewPairs">Pairs given in this call.</param>
/// <param name="EvidencePairs">Pairs the new state was inferred from (new plus retained earlier ones).</param>
/// <param name="IsNewUser">Whether the store had no state for the user before.</param>
/// <param name="State">The new state.</param>
public sealed record UserAdaptation(UserId User, int NewPairs, int EvidencePairs, bool IsNewUser, UserState State);
