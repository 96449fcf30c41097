using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Models.Dpa;

/// <summary>
/// DPA (directional preference alignment): every response has an objective vector r(x) in R^K (named objectives
/// regressed from ratings, or latent objectives learned from pairs), a user is a unit direction v (the user's state),
/// and the user's reward is <c>s * v . r(x)</c> with a global scale s. Explicit directions (<see cref="ScoringOptions.Direction"/>,
/// a record's <c>direction</c>) replace users' states; arithmetic control and per-objective scores are offered through
/// <see cref="IMultiObjectiveRewardModel"/>.
/// </summary>
public sealed class DpaRewardModel : TorchUserRewardModel, IMultiObjectiveRewardModel
{
    /// <summary>The model kind.</summary>
    public const string KindName = "dpa";

    private readonly DpaNetwork _network;
    private readonly DpaOptions _options;
    private readonly string[] _objectives;
    private readonly double _scale;
    private readonly double _concentration;
    private readonly float[] _meanDirection;

    internal DpaRewardModel(DpaNetwork network, DpaOptions options, TorchModelInfo info, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;
        _options = options;
        _objectives = [.. info.ObjectiveNames];
        _scale = network.Scale;
        _concentration = network.PriorConcentration;
        _meanDirection = network.MeanDirectionValues;
        RatingMeans = network.RatingMeans;
        RatingStds = network.RatingStds;
    }

    private DpaRewardModel(DpaRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
        _options = source._options;
        _objectives = source._objectives;
        _scale = source._scale;
        _concentration = source._concentration;
        _meanDirection = source._meanDirection;
        RatingMeans = source.RatingMeans;
        RatingStds = source.RatingStds;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ObjectiveNames => _objectives;

    /// <inheritdoc />
    public bool HasLatentObjectives => !_options.UseRatings;

    /// <inheritdoc />
    public double RewardScale => _scale;

    /// <summary>The concentration kappa of the direction prior around <see cref="PopulationDirection"/> used when fitting users.</summary>
    public double PriorConcentration => _concentration;

    /// <inheritdoc />
    public PreferenceDirection PopulationDirection => PreferenceDirection.FromVector(_objectives, _meanDirection.Select(x => (double)x).ToArray());

    /// <summary>
    /// Per objective, the mean of the training ratings: a score z of <see cref="ScoreObjectivesAsync"/> is the rating
    /// <c>mean + std * z</c> (0 for latent objectives, whose scores are standardised over the training responses).
    /// </summary>
    public IReadOnlyList<float> RatingMeans { get; }

    /// <summary>Per objective, the standard deviation of the training ratings (1 for latent objectives).</summary>
    public IReadOnlyList<float> RatingStds { get; }

    /// <summary>The options the model was trained with.</summary>
    public DpaOptions Options => _options;

    /// <inheritdoc />
    protected override int StateSize => _objectives.Length;

    /// <inheritdoc />
    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new DpaRewardModel(this, store);

    /// <inheritdoc />
    public Task<ObjectiveScores> ScoreObjectivesAsync(ResponseBatch responses, CancellationToken cancellationToken = default)
    {
        // Synchronous torch work (dispose scopes are thread-static); the task is complete when returned.
        ArgumentNullException.ThrowIfNull(responses);
        var values = new float[responses.Count * _objectives.Length];
        MapResponses(responses, values, _objectives.Length, (x, p) => _network.call(x, p), cancellationToken);
        return Task.FromResult(new ObjectiveScores(_objectives, responses.Count, values));
    }

    /// <inheritdoc />
    /// <remarks>Scored as <see cref="TorchUserRewardModel.ScoreAsync(IReadOnlyList{UserId}, ResponseBatch, ScoringOptions?, CancellationToken)"/> scores a user with that direction (same path, same values).</remarks>
    public async Task<float[]> ScoreDirectionAsync(ResponseBatch responses, PreferenceDirection direction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(direction);
        var scores = await ScoreAsync([new UserId("direction")], responses, new ScoringOptions { Direction = direction.ToDictionary() }, cancellationToken).ConfigureAwait(false);
        return scores.ForUser(0);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<UserId, PreferenceDirection>> GetUserDirectionsAsync(IReadOnlyList<UserId> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var found = await UserStates.GetManyAsync(users.Distinct(), cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<UserId, PreferenceDirection>(found.Count);
        foreach (var (user, state) in found)
        {
            var vector = MethodPart(state.Vector.ToArray());
            if (state.ModelKind != Info.Kind || state.ModelFingerprint != Fingerprint || vector.Length != _objectives.Length)
            {
                throw new UserStateMismatchException(user, $"{Info.Kind}@{UserState.ShortFingerprint(Fingerprint)}", state.ModelTag);
            }

            result[user] = PreferenceDirection.FromVector(_objectives, vector.Select(x => (double)x).ToArray());
        }

        return result;
    }

    /// <inheritdoc />
    internal override IManagedScorer? CreateManagedScorer() => DpaManagedScorer.Create(_network, _scale);

    /// <inheritdoc />
    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) =>
        _network.call(responses, prompts).matmul(states.t()).Times(_scale);

    /// <inheritdoc />
    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) =>
        (_network.call(responses, prompts) * states).sum(-1).Times(_scale);

    /// <inheritdoc />
    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var noGrad = no_grad();
        var total = evidence.Sum(e => e.Count);
        var d = Info.ResponseDimension;
        var dp = Info.PromptDimension;
        var chosen = new float[total * d];
        var rejected = new float[total * d];
        var prompts = new float[total * dp];
        var weights = new float[total];
        var groups = new int[evidence.Count][];
        var offset = 0;
        for (var u = 0; u < evidence.Count; u++)
        {
            var e = evidence[u];
            e.ChosenVectors.Span.CopyTo(chosen.AsSpan(offset * d));
            e.RejectedVectors.Span.CopyTo(rejected.AsSpan(offset * d));
            e.PromptVectors.Span.CopyTo(prompts.AsSpan(offset * dp));
            e.Weights.Span.CopyTo(weights.AsSpan(offset));
            groups[u] = Enumerable.Range(offset, e.Count).ToArray();
            offset += e.Count;
        }

        var differences = DpaTrainer.Differences(
            _network,
            tensor(chosen, [total, d], ScalarType.Float32, Device),
            tensor(rejected, [total, d], ScalarType.Float32, Device),
            dp == 0 ? null : tensor(prompts, [total, dp], ScalarType.Float32, Device));
        var (padded, paddedWeights) = DirectionFitter.Pad(differences, tensor(weights, [total], ScalarType.Float32, Device), groups);
        var directions = DirectionFitter.Fit(
            padded, paddedWeights, _scale, tensor(_meanDirection, [_meanDirection.Length], ScalarType.Float32, Device), _concentration, _options.DirectionIterations);
        return DpaTrainer.Rows(directions);
    }

    /// <inheritdoc />
    protected override float[] ColdStartState() => [.. _meanDirection];

    /// <inheritdoc />
    /// <exception cref="UnknownObjectiveException">A weight names an objective the model does not have.</exception>
    /// <exception cref="ArgumentException">Every weight is 0, or a weight is not finite.</exception>
    protected override float[] DirectionState(IReadOnlyDictionary<string, double> direction) =>
        PreferenceDirection.FromWeights(_objectives, direction).ToSingleArray();
}
