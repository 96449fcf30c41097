namespace Pluralistic.Evaluation;

/// <summary>One point of an active-learning curve: accuracy after k questions chosen by the model and after k random ones.</summary>
/// <param name="Questions">k: the questions asked per user (0: the cold-start prediction).</param>
/// <param name="ActiveAccuracy">Mean over users of each user's accuracy on the queries after k chosen questions.</param>
/// <param name="RandomAccuracy">The same after k random questions, averaged over the random orders.</param>
public sealed record ActiveLearningPoint(int Questions, double ActiveAccuracy, double RandomAccuracy);

/// <summary>
/// Accuracy on each user's queries against the number of questions asked, with questions chosen by the model
/// (<see cref="IActiveQuestionSelector"/>) and at random from the same pools.
/// </summary>
public sealed record ActiveLearningCurve
{
    /// <summary>One point per number of questions, 0 to the budget.</summary>
    public required IReadOnlyList<ActiveLearningPoint> Points { get; init; }

    /// <summary>The users measured.</summary>
    public required int Users { get; init; }

    /// <summary>Users left out because they have no record after the pool.</summary>
    public required int SkippedUsers { get; init; }

    /// <summary>The query records (indices in the evaluated dataset, in record order), shared by every point.</summary>
    public required IReadOnlyList<int> QueryRecords { get; init; }

    /// <summary>The budget: the largest number of questions measured.</summary>
    public int Budget => Points[^1].Questions;

    /// <summary>The accuracy that the whole budget of random questions reaches.</summary>
    public double RandomAccuracyAtBudget => Points[^1].RandomAccuracy;

    /// <summary>
    /// The fewest chosen questions whose accuracy reaches what the whole budget of random questions reaches, or
    /// <see langword="null"/> when no number within the budget does.
    /// </summary>
    public int? QuestionsToMatchRandomBudget => ActiveQuestionsToReach(RandomAccuracyAtBudget);

    /// <summary>The fewest chosen questions whose accuracy reaches <paramref name="accuracy"/>, or <see langword="null"/>.</summary>
    /// <param name="accuracy">The accuracy to reach.</param>
    /// <returns>The number of questions.</returns>
    public int? ActiveQuestionsToReach(double accuracy) =>
        Points.FirstOrDefault(p => p.ActiveAccuracy >= accuracy - 1e-12)?.Questions;
}
