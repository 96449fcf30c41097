namespace Pluralistic;

/// <summary>
/// Offered (through <see cref="IUserRewardModel.GetService"/>) by models that can say which pair to ask a user
/// about next: candidate pairs ranked by the expected information their answer carries about the user.
/// </summary>
public interface IActiveQuestionSelector
{
    /// <summary>
    /// Ranks candidate pairs for <paramref name="user"/> by the expected information of the user's answer, given what
    /// the model holds for the user now (a user without a state is ranked from the prior).
    /// </summary>
    /// <param name="user">The user to ask.</param>
    /// <param name="candidates">
    /// The candidate pairs: each record is one question "which of these two do you prefer?"; which side is labelled
    /// chosen, and the records' own users, are ignored.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A score per candidate and the candidates best first.</returns>
    /// <exception cref="DimensionMismatchException">The candidates' vectors do not match the model.</exception>
    Task<QuestionRanking> RankQuestionsAsync(UserId user, PreferenceDataset candidates, CancellationToken cancellationToken = default);
}

/// <summary>Candidate questions ranked for one user.</summary>
/// <param name="User">The user.</param>
/// <param name="Scores">Per candidate record, the expected information of the answer (nats; higher is more informative).</param>
/// <param name="Order">Candidate record indices, most informative first (ties keep record order).</param>
public sealed record QuestionRanking(UserId User, IReadOnlyList<double> Scores, IReadOnlyList<int> Order)
{
    /// <summary>The most informative candidate, or -1 when there were none.</summary>
    public int Best => Order.Count == 0 ? -1 : Order[0];
}
