namespace Pluralistic;

/// <summary>
/// A model whose reward is a direction over an objective vector (DPA): every response x has scores
/// <c>r(x)</c> on K objectives, a user (or an explicit direction) is a unit vector <c>v</c>, and the reward is
/// <c>RewardScale * v . r(x)</c>. Reached through <see cref="IUserRewardModel.GetService"/>. Arithmetic control
/// (named weights, angles, interpolation) builds <see cref="PreferenceDirection"/>s over <see cref="ObjectiveNames"/>;
/// see <see cref="MultiObjectiveRewardModelExtensions"/>.
/// </summary>
public interface IMultiObjectiveRewardModel
{
    /// <summary>The K objectives, in the order of the model's vectors.</summary>
    IReadOnlyList<string> ObjectiveNames { get; }

    /// <summary>
    /// False when the objectives were learned from per-objective ratings (their names come from the data and mean
    /// what the ratings meant); true when they are latent axes learned from pairs alone (named <c>latent_1</c> ..
    /// <c>latent_K</c>, meaningful only together, as a basis in which users' directions differ).
    /// </summary>
    bool HasLatentObjectives { get; }

    /// <summary>The global scale s of rewards: a direction's reward is <c>s * v . r(x)</c>, which calibrates probabilities.</summary>
    double RewardScale { get; }

    /// <summary>The population-level direction (the normalised mean of the seen users' directions), used for cold start.</summary>
    PreferenceDirection PopulationDirection { get; }

    /// <summary>The objective vectors r(x) of responses.</summary>
    /// <param name="responses">The responses (with prompts when the model reads them).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>M x K scores.</returns>
    Task<ObjectiveScores> ScoreObjectivesAsync(ResponseBatch responses, CancellationToken cancellationToken = default);

    /// <summary>The rewards of responses under an explicit direction, for no user in particular.</summary>
    /// <param name="responses">The responses.</param>
    /// <param name="direction">The direction (over <see cref="ObjectiveNames"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>M rewards.</returns>
    /// <exception cref="UnknownObjectiveException">The direction is over other objectives.</exception>
    Task<float[]> ScoreDirectionAsync(ResponseBatch responses, PreferenceDirection direction, CancellationToken cancellationToken = default);

    /// <summary>The stored directions of users; users without a state are left out.</summary>
    /// <param name="users">The users.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>User to direction.</returns>
    Task<IReadOnlyDictionary<UserId, PreferenceDirection>> GetUserDirectionsAsync(IReadOnlyList<UserId> users, CancellationToken cancellationToken = default);
}

/// <summary>Arithmetic control over an <see cref="IMultiObjectiveRewardModel"/>'s objectives.</summary>
public static class MultiObjectiveRewardModelExtensions
{
    /// <summary>The direction of named weights (normalised), for example <c>helpfulness = 1, verbosity = -0.5</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="weights">Objective name to weight; objectives left out weigh 0.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="UnknownObjectiveException">A name is not one of the model's objectives.</exception>
    public static PreferenceDirection Direction(this IMultiObjectiveRewardModel model, IReadOnlyDictionary<string, double> weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PreferenceDirection.FromWeights(model.ObjectiveNames, weights);
    }

    /// <summary>The direction of named weights (normalised), for example <c>("helpfulness", 1), ("verbosity", -0.5)</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="weights">Objective names and weights; objectives left out weigh 0.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="UnknownObjectiveException">A name is not one of the model's objectives.</exception>
    public static PreferenceDirection Direction(this IMultiObjectiveRewardModel model, params (string Objective, double Weight)[] weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        var named = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (objective, weight) in weights)
        {
            named[objective] = named.GetValueOrDefault(objective) + weight;
        }

        return PreferenceDirection.FromWeights(model.ObjectiveNames, named);
    }

    /// <summary>The unit direction of one objective.</summary>
    /// <param name="model">The model.</param>
    /// <param name="objective">The objective.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="UnknownObjectiveException">The name is not one of the model's objectives.</exception>
    public static PreferenceDirection Along(this IMultiObjectiveRewardModel model, string objective)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PreferenceDirection.Along(model.ObjectiveNames, objective);
    }

    /// <summary>The direction at an angle in the plane of two objectives: 0 degrees is <paramref name="first"/>, 90 is <paramref name="second"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="first">The objective at 0 degrees.</param>
    /// <param name="second">The objective at 90 degrees.</param>
    /// <param name="degrees">The angle.</param>
    /// <returns>The direction.</returns>
    /// <exception cref="UnknownObjectiveException">A name is not one of the model's objectives.</exception>
    public static PreferenceDirection DirectionAtAngle(this IMultiObjectiveRewardModel model, string first, string second, double degrees)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PreferenceDirection.FromAngle(model.ObjectiveNames, first, second, degrees);
    }
}
