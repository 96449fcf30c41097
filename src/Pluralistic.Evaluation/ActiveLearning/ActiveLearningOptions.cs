namespace Pluralistic.Evaluation;

/// <summary>How <see cref="ActiveLearningExperiment.RunAsync"/> compares chosen questions with random ones.</summary>
public sealed record ActiveLearningOptions
{
    /// <summary>Default options: a pool of 20 candidate questions per user, a budget of 10, random order averaged over 5 draws.</summary>
    public static ActiveLearningOptions Default { get; } = new();

    /// <summary>
    /// The first <c>PoolSize</c> records of each user (in record order) are the candidate questions, whose labels are
    /// revealed only when asked; the user's remaining records are the queries every point is measured on. Users with
    /// no record after the pool are skipped. Default 20.
    /// </summary>
    public int PoolSize { get; init; } = 20;

    /// <summary>The most questions asked per user (at most <see cref="PoolSize"/>). Default 10.</summary>
    public int Budget { get; init; } = 10;

    /// <summary>Random question orders averaged for the random baseline (each a seeded shuffle of every pool). Default 5.</summary>
    public int RandomRepeats { get; init; } = 5;

    /// <summary>The seed of the random orders. Default 0.</summary>
    public int Seed { get; init; }
}
