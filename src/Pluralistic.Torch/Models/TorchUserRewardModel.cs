using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// The base of every TorchSharp reward model: it owns the population module and a user state store and does what
/// all methods share — dimension and finiteness checks, resolving user states (unknown users, cold start,
/// explicit directions, states written for another model), batched scoring under <c>no_grad</c> in dispose scopes,
/// adapting users with retained evidence and optimistic concurrency, weights serialization and the fingerprint.
/// A method supplies how states score responses and how states are inferred from pairs.
/// </summary>
/// <remarks>
/// The shared work is done by collaborators this class wires together: <see cref="UserStateResolver"/> (state rows
/// for users and records), <see cref="ChunkedScorer"/> (chunked scoring in dispose scopes), <see cref="UserAdapter"/>
/// with <see cref="UserStateCommit"/> (inference outside any store lock, compare-and-swap commits with bounded
/// retries), <see cref="UserStateFactory"/> (evidence plans and state records),
/// <see cref="WeightsSerializer"/> and <see cref="ModelDescriptions"/> (metadata and manifest). They reach the
/// method through <see cref="ITorchMethodHooks"/>, which this class implements by forwarding to its protected members.
/// </remarks>
public abstract class TorchUserRewardModel : IUserRewardModel, IUserStateStoreAccessor, ITorchMethodHooks
{
    /// <summary>Rows scored per tensor batch; bounds memory for large pair files.</summary>
    protected const int ScoringChunk = ChunkedScorer.ChunkRows;

    private readonly nn.Module _population;
    private readonly bool _ownsPopulation;
    private readonly bool _ownsStore;
    private readonly UserStateFactory _states;
    private readonly UserStateResolver _resolver;
    private readonly ChunkedScorer _scorer;
    private readonly UserAdapter _adapter;
    private readonly AnchoredMethod? _anchored;
    private readonly Lazy<IManagedScorer?> _managed;
    private bool _disposed;

    /// <summary>Creates a model that owns <paramref name="population"/>.</summary>
    /// <param name="population">The trained population module (moved to <paramref name="device"/>, eval mode).</param>
    /// <param name="info">What the model is.</param>
    /// <param name="store">Where user states live.</param>
    /// <param name="device">The device of the module.</param>
    /// <param name="ownsStore">Whether disposing the model disposes the store.</param>
    protected TorchUserRewardModel(nn.Module population, TorchModelInfo info, IUserStateStore store, Device device, bool ownsStore)
        : this(
            population ?? throw new ArgumentNullException(nameof(population)),
            info ?? throw new ArgumentNullException(nameof(info)),
            store ?? throw new ArgumentNullException(nameof(store)),
            device,
            EvalAndFingerprint(population),
            ownsPopulation: true,
            ownsStore,
            managed: null)
    {
    }

    /// <summary>Creates a view of <paramref name="source"/> that shares its population module but uses another store.</summary>
    /// <param name="source">The model to share the module of (it keeps ownership).</param>
    /// <param name="store">The store of the view (not owned).</param>
    protected TorchUserRewardModel(TorchUserRewardModel source, IUserStateStore store)
        : this(
            (source ?? throw new ArgumentNullException(nameof(source)))._population,
            source.Info,
            store ?? throw new ArgumentNullException(nameof(store)),
            source.Device,
            source.Fingerprint,
            ownsPopulation: false,
            ownsStore: false,
            source._managed)
    {
    }

    private TorchUserRewardModel(nn.Module population, TorchModelInfo info, IUserStateStore store, Device device, string fingerprint, bool ownsPopulation, bool ownsStore, Lazy<IManagedScorer?>? managed)
    {
        _population = population;
        Info = info;
        _anchored = info.PopulationAnchor is { } anchorInfo
            ? new AnchoredMethod(this, PopulationAnchor.Find(population) ?? throw new InvalidOperationException($"{info.Kind}: the model is anchored to a population reward its network does not hold"), anchorInfo)
            : null;
        ITorchMethodHooks hooks = _anchored is null ? this : _anchored;
        UserStates = store;
        Device = device;
        Fingerprint = fingerprint;
        Metadata = ModelDescriptions.Metadata(info, fingerprint);
        _ownsPopulation = ownsPopulation;
        _ownsStore = ownsStore;
        _states = new UserStateFactory(info, fingerprint);
        _resolver = new UserStateResolver(store, info, fingerprint, hooks);
        _scorer = new ChunkedScorer(device, hooks);
        _adapter = new UserAdapter(store, info, _states, hooks);
        _managed = managed ?? new Lazy<IManagedScorer?>(() => ManagedScoring.Compile(hooks));
    }

    /// <inheritdoc />
    public RewardModelMetadata Metadata { get; }

    /// <summary>What the model is: kind, dimensions, options, training facts.</summary>
    public TorchModelInfo Info { get; private set; }

    /// <summary>SHA-256 of the serialized weights; user states record it.</summary>
    public string Fingerprint { get; }

    /// <summary>The device the module lives on.</summary>
    public Device Device { get; }

    /// <summary>Where user states live.</summary>
    public IUserStateStore UserStates { get; }

    /// <summary>The length of the state vector of every user.</summary>
    protected abstract int StateSize { get; }

    /// <inheritdoc />
    int ITorchMethodHooks.StateSize => StateSize;

    /// <summary>A view of this model that reads and writes user states in <paramref name="store"/> instead.</summary>
    /// <param name="store">The store (the view does not dispose it).</param>
    /// <returns>The view; disposing it leaves this model intact.</returns>
    public abstract TorchUserRewardModel WithUserStateStore(IUserStateStore store);

    /// <inheritdoc />
    IUserRewardModel IUserStateStoreAccessor.WithUserStateStore(IUserStateStore store) => WithUserStateStore(store);

    /// <inheritdoc />
    /// <remarks>Small requests take the method's managed forward when it has one (<see cref="ManagedScoring"/>), and on the CPU so does any request its kernels keep pace with libtorch on (<see cref="IManagedScorer.MaxWork"/>); the rest libtorch.</remarks>
    public Task<RewardMatrix> ScoreAsync(
        IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default) =>
        ScoreCoreAsync(users, responses, options, managed: true, cancellationToken);

    /// <summary>The managed scorer small requests take (compiled on first use), or <see langword="null"/> when the method has none.</summary>
    internal IManagedScorer? ManagedScorer => _managed.Value;

    /// <summary>Scores as the public overload does; without <paramref name="managed"/> on libtorch only (tests compare the two).</summary>
    internal async Task<RewardMatrix> ScoreCoreAsync(
        IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options, bool managed, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(responses);
        CheckDimensions(responses.Dimension, responses.PromptDimension, "responses");
        options ??= ScoringOptions.Default;
        var states = await _resolver.ResolveAsync(users, options, null, cancellationToken).ConfigureAwait(false);

        var values = new float[responses.Count * users.Count];
        if (users.Count > 0)
        {
            var scorer = managed ? _managed.Value : null;
            if (ManagedScoring.Takes(scorer, responses.Count, users.Count, Device.type == TorchSharp.DeviceType.CPU))
            {
                scorer!.ScoreMatrix(responses.Responses.Span, responses.Prompts.Span, responses.Count, states, users.Count, values);
            }
            else
            {
                _scorer.ScoreMatrix(responses, states, users.Count, values, cancellationToken);
            }
        }

        return new RewardMatrix(users, responses.Count, values);
    }

    /// <inheritdoc />
    public async Task<PairPredictions> ScorePairsAsync(PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(pairs);
        CheckDimensions(pairs.ResponseDimension, pairs.PromptDimension, pairs.SourcePath ?? "pairs");
        var rows = await _resolver.ResolvePairRowsAsync(pairs, options ?? ScoringOptions.Default, cancellationToken).ConfigureAwait(false);
        return _scorer.ScorePairs(pairs, rows, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// States are inferred outside any store lock and committed with a compare-and-swap on the state they were
    /// inferred from; a user another writer changed meanwhile is read and inferred again, so concurrent adaptations
    /// of one user lose no pairs. After <see cref="UserAdapter.MaxAttempts"/> conflicting attempts it gives up.
    /// </remarks>
    /// <exception cref="UserStateConflictException">A user's state changed under every attempt to commit it.</exception>
    public Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(pairs);
        CheckDimensions(pairs.ResponseDimension, pairs.PromptDimension, pairs.SourcePath ?? "pairs");
        return _adapter.AdaptAsync(pairs, options ?? AdaptationOptions.Default, cancellationToken);
    }

    /// <inheritdoc />
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        if (serviceType == typeof(IUserStateStore))
        {
            return UserStates;
        }

        return serviceType == typeof(RewardModelMetadata) ? Metadata : null;
    }

    /// <summary>The weights, serialized in TorchSharp's state-dict format.</summary>
    /// <returns>The bytes written to <c>weights.bin</c>.</returns>
    public byte[] SerializeWeights() => WeightsSerializer.Serialize(_population);

    /// <summary>The manifest describing this model (weights info is filled in by <see cref="Checkpoint.Write"/>).</summary>
    /// <returns>The manifest.</returns>
    public RunManifest CreateManifest() => ModelDescriptions.Manifest(Info, Fingerprint);

    /// <summary>Creates a state record for a user of this model (used by trainers for seen users).</summary>
    /// <param name="user">The user.</param>
    /// <param name="vector">The state vector (<see cref="StateSize"/> floats).</param>
    /// <param name="data">The user's pairs.</param>
    /// <param name="records">The records of the user in <paramref name="data"/>, oldest first.</param>
    /// <returns>The state, retaining the most recent pairs as evidence.</returns>
    public UserState CreateState(UserId user, float[] vector, PreferenceDataset data, ReadOnlySpan<int> records)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (_anchored is not null && vector.Length == StateSize)
        {
            // The weight counts the user's most recent pairs, as many as the fit judged a seen user's weight on.
            var anchor = _anchored.Info;
            var counted = records[^Math.Min(records.Length, AnchorFit.SeenPairsCap(Info.EvidenceCapacity))..];
            var loss = anchor.SurpriseSlope == 0 ? 0 : _anchored.PopulationLoss(data, counted.ToArray());
            vector = AnchoredMethod.Append(vector, AnchoredMethod.Columns(anchor.Form, anchor.SeenUserWeight(counted.Length, loss)));
        }

        return _states.Create(user, vector, data, records);
    }

    /// <summary>The method's hooks with the population anchor, when the model is anchored.</summary>
    internal AnchoredMethod? Anchored => _anchored;

    /// <summary>
    /// Fits the population anchor's form and kappa on the session's held-out pairs and records them (trainers call it
    /// before the seen users' states are made).
    /// </summary>
    /// <param name="session">The training session.</param>
    /// <param name="judge">
    /// The population reward the fit judges the population by: trained as the anchor is, on the pairs the method trained
    /// on (the anchor learned most of the held-out pairs the fit judges on).
    /// </param>
    /// <param name="trainedSeenStates">The seen users' states when training learned them from the training pairs alone, else <see langword="null"/>.</param>
    /// <param name="trainFold">Trains the same method, anchored, on a subset of the users (fold number given), so new users' kappa is judged on users neither reward learned from; <see langword="null"/> keeps it in-sample.</param>
    /// <param name="cancellationToken">Cancels the fit.</param>
    internal void FitPopulationAnchor(
        TrainingSession session, PopulationAnchor judge, IReadOnlyList<float[]>? trainedSeenStates, Func<PreferenceDataset, int, TorchUserRewardModel>? trainFold, CancellationToken cancellationToken)
    {
        if (_anchored is null)
        {
            return;
        }

        var (anchor, metrics) = AnchorFit.Fit(new AnchoredMethod(_anchored.Method, judge, _anchored.Info), session, Info.EvidenceCapacity, trainedSeenStates, trainFold, cancellationToken);
        _anchored.Info = anchor;
        var merged = new Dictionary<string, double>(Info.Metrics, StringComparer.Ordinal);
        foreach (var (name, value) in metrics)
        {
            merged[name] = value;
        }

        Info = Info with { PopulationAnchor = anchor, Metrics = merged };
    }

    /// <summary>
    /// Runs <paramref name="map"/> over responses in chunks of <see cref="ScoringChunk"/> rows, each under
    /// <c>no_grad</c> in its own dispose scope, and copies the results out row-major: the shared path of
    /// <see cref="ScoreAsync"/> and of per-response outputs a method exposes (for example per-objective scores).
    /// </summary>
    /// <param name="responses">The responses (dimensions are checked).</param>
    /// <param name="destination">Receives M x <paramref name="columns"/> values, row-major.</param>
    /// <param name="columns">Values per response.</param>
    /// <param name="map">Responses [B, d] and prompts [B, dp] (or <see langword="null"/>) to [B, columns].</param>
    /// <param name="cancellationToken">Checked before every chunk.</param>
    protected void MapResponses(ResponseBatch responses, Span<float> destination, int columns, Func<Tensor, Tensor?, Tensor> map, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(map);
        CheckDimensions(responses.Dimension, responses.PromptDimension, "responses");
        _scorer.MapResponses(responses, destination, columns, map, cancellationToken);
    }

    /// <summary>Scores M responses for N users: [M, d] x [N, S] -> [M, N]. Called under <c>no_grad</c> in a dispose scope.</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] or <see langword="null"/>.</param>
    /// <param name="states">[N, S].</param>
    /// <returns>[M, N] rewards.</returns>
    protected abstract Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states);

    /// <inheritdoc />
    Tensor ITorchMethodHooks.ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) => ScoreMatrix(responses, prompts, states);

    /// <summary>
    /// The method's managed scoring forward (plain float arrays, no libtorch) that small requests take, compiled once
    /// from the trained module on the first request; <see langword="null"/> (the default) keeps every request on libtorch.
    /// </summary>
    /// <returns>The scorer or <see langword="null"/>.</returns>
    internal virtual IManagedScorer? CreateManagedScorer() => null;

    /// <inheritdoc />
    IManagedScorer? ITorchMethodHooks.CreateManagedScorer() => CreateManagedScorer();

    /// <summary>Scores row i of the responses for row i of the states: [B, d] x [B, S] -> [B].</summary>
    /// <param name="responses">[B, d].</param>
    /// <param name="prompts">[B, dp] or <see langword="null"/>.</param>
    /// <param name="states">[B, S].</param>
    /// <returns>[B] rewards.</returns>
    protected abstract Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states);

    /// <inheritdoc />
    Tensor ITorchMethodHooks.ScoreRows(Tensor responses, Tensor? prompts, Tensor states) => ScoreRows(responses, prompts, states);

    /// <summary>
    /// Infers the state vector of each user from that user's pairs, with the population parameters frozen,
    /// batched across users. Each dataset holds one user's pairs (at least one). Never called inside a store's lock.
    /// </summary>
    /// <param name="evidence">One dataset per user.</param>
    /// <param name="cancellationToken">Cancels inference.</param>
    /// <returns>One state vector of <see cref="StateSize"/> floats per user.</returns>
    protected abstract float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken);

    /// <inheritdoc />
    float[][] ITorchMethodHooks.InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken) =>
        InferStates(evidence, cancellationToken);

    /// <summary>The population-level state used for users without one when cold start is allowed.</summary>
    /// <returns>A state vector.</returns>
    protected abstract float[] ColdStartState();

    /// <inheritdoc />
    float[] ITorchMethodHooks.ColdStartState() => ColdStartState();

    /// <summary>The state that scores with an explicit direction over named objectives.</summary>
    /// <param name="direction">Objective name to weight.</param>
    /// <returns>A state vector.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model has no named objectives.</exception>
    protected virtual float[] DirectionState(IReadOnlyDictionary<string, double> direction) =>
        throw new CapabilityNotSupportedException(Info.Kind, "scoring with an explicit direction (it has no named objectives)");

    /// <inheritdoc />
    float[] ITorchMethodHooks.DirectionState(IReadOnlyDictionary<string, double> direction) => DirectionState(direction);

    /// <summary>
    /// The state vectors of <paramref name="users"/>, row-major (<see cref="StateSize"/> floats each), resolved as
    /// scoring resolves them: stored states checked against this model, the cold-start state for unknown users when
    /// <see cref="ScoringOptions.AllowColdStart"/> is set, or an explicit direction for everyone. Capabilities that
    /// read states (uncertainty, active questions) use it so they see users exactly as scoring does.
    /// </summary>
    /// <param name="users">The users.</param>
    /// <param name="options">Cold start and direction.</param>
    /// <param name="cancellationToken">Cancels the store read.</param>
    /// <returns>users.Count x <see cref="StateSize"/> floats.</returns>
    /// <param name="needed">Which users need a state (the others get zeros, never read); <see langword="null"/>: all.</param>
    /// <exception cref="UnknownUserException">A user has no state and cold start is off.</exception>
    /// <exception cref="UserStateMismatchException">A stored state belongs to other weights.</exception>
    protected Task<float[]> ResolveStatesAsync(IReadOnlyList<UserId> users, ScoringOptions options, CancellationToken cancellationToken, IReadOnlyList<bool>? needed = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(options);
        return _anchored is null ? _resolver.ResolveAsync(users, options, needed, cancellationToken) : StripAsync(users, options, needed, cancellationToken);
    }

    // Capabilities of a method read the method's own part of an anchored state.
    private async Task<float[]> StripAsync(IReadOnlyList<UserId> users, ScoringOptions options, IReadOnlyList<bool>? needed, CancellationToken cancellationToken) =>
        _anchored!.Strip(await _resolver.ResolveAsync(users, options, needed, cancellationToken).ConfigureAwait(false), users.Count);

    /// <summary>
    /// The method's own part of a stored state vector: without the population anchor's columns when the model is
    /// anchored (capabilities that read stored states directly use it).
    /// </summary>
    /// <param name="vector">A stored state vector.</param>
    /// <returns>The method's part (the vector itself when the model is not anchored or the length does not match).</returns>
    protected float[] MethodPart(float[] vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        return _anchored is not null && vector.Length == StateSize + AnchoredMethod.ExtraColumns ? vector[..StateSize] : vector;
    }

    /// <summary>Throws when the model has been disposed (for capabilities that use the module).</summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Checks that vectors match the model's response and prompt dimensions.</summary>
    /// <param name="responseDimension">The response vector length given.</param>
    /// <param name="promptDimension">The prompt vector length given.</param>
    /// <param name="what">What the vectors are, for the message.</param>
    /// <exception cref="DimensionMismatchException">A dimension differs.</exception>
    protected void CheckDimensions(int responseDimension, int promptDimension, string what)
    {
        if (responseDimension != Info.ResponseDimension)
        {
            throw new DimensionMismatchException($"{what}: response embedding", Info.ResponseDimension, responseDimension);
        }

        if (promptDimension != Info.PromptDimension)
        {
            throw new DimensionMismatchException($"{what}: prompt embedding", Info.PromptDimension, promptDimension);
        }
    }

    /// <summary>Disposes the module (when owned) and the store (when owned).</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            if (_ownsPopulation)
            {
                _population.Dispose();
            }

            if (_ownsStore)
            {
                UserStates.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    // A module the model owns scores in eval mode; its fingerprint is taken from the weights as they will score.
    private static string EvalAndFingerprint(nn.Module population)
    {
        population.eval();
        return WeightsSerializer.Fingerprint(population);
    }
}
