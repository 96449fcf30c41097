using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// The base of every TorchSharp reward model: it owns the population module and a user state store and does what
/// all methods share — dimension and finiteness checks, resolving user states (unknown users, cold start,
/// explicit directions, states written for another model), batched scoring under <c>no_grad</c> in dispose scopes,
/// adapting users with retained evidence and optimistic concurrency, weights serialization and the fingerprint.
/// A method supplies how states score responses and how states are inferred from pairs.
/// </summary>
public abstract class TorchUserRewardModel : IUserRewardModel, IUserStateStoreAccessor
{
    /// <summary>Rows scored per tensor batch; bounds memory for large pair files.</summary>
    protected const int ScoringChunk = 8192;

    private readonly nn.Module _population;
    private readonly bool _ownsPopulation;
    private readonly bool _ownsStore;
    private bool _disposed;

    /// <summary>Creates a model that owns <paramref name="population"/>.</summary>
    /// <param name="population">The trained population module (moved to <paramref name="device"/>, eval mode).</param>
    /// <param name="info">What the model is.</param>
    /// <param name="store">Where user states live.</param>
    /// <param name="device">The device of the module.</param>
    /// <param name="ownsStore">Whether disposing the model disposes the store.</param>
    protected TorchUserRewardModel(nn.Module population, TorchModelInfo info, IUserStateStore store, Device device, bool ownsStore)
    {
        _population = population ?? throw new ArgumentNullException(nameof(population));
        Info = info ?? throw new ArgumentNullException(nameof(info));
        UserStates = store ?? throw new ArgumentNullException(nameof(store));
        Device = device;
        _ownsPopulation = true;
        _ownsStore = ownsStore;
        _population.eval();
        Fingerprint = Checkpoint.Sha256(SerializeWeights());
        Metadata = CreateMetadata();
    }

    /// <summary>Creates a view of <paramref name="source"/> that shares its population module but uses another store.</summary>
    /// <param name="source">The model to share the module of (it keeps ownership).</param>
    /// <param name="store">The store of the view (not owned).</param>
    protected TorchUserRewardModel(TorchUserRewardModel source, IUserStateStore store)
    {
        ArgumentNullException.ThrowIfNull(source);
        _population = source._population;
        Info = source.Info;
        UserStates = store ?? throw new ArgumentNullException(nameof(store));
        Device = source.Device;
        Fingerprint = source.Fingerprint;
        Metadata = source.Metadata;
        _ownsPopulation = false;
        _ownsStore = false;
    }

    /// <inheritdoc />
    public RewardModelMetadata Metadata { get; }

    /// <summary>What the model is: kind, dimensions, options, training facts.</summary>
    public TorchModelInfo Info { get; }

    /// <summary>SHA-256 of the serialized weights; user states record it.</summary>
    public string Fingerprint { get; }

    /// <summary>The device the module lives on.</summary>
    public Device Device { get; }

    /// <summary>Where user states live.</summary>
    public IUserStateStore UserStates { get; }

    /// <summary>The length of the state vector of every user.</summary>
    protected abstract int StateSize { get; }

    /// <summary>A view of this model that reads and writes user states in <paramref name="store"/> instead.</summary>
    /// <param name="store">The store (the view does not dispose it).</param>
    /// <returns>The view; disposing it leaves this model intact.</returns>
    public abstract TorchUserRewardModel WithUserStateStore(IUserStateStore store);

    /// <inheritdoc />
    IUserRewardModel IUserStateStoreAccessor.WithUserStateStore(IUserStateStore store) => WithUserStateStore(store);

    /// <inheritdoc />
    public async Task<RewardMatrix> ScoreAsync(
        IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(responses);
        CheckDimensions(responses.Dimension, responses.PromptDimension, "responses");
        options ??= ScoringOptions.Default;
        var states = await ResolveStatesAsync(users, options, cancellationToken).ConfigureAwait(false);

        var m = responses.Count;
        var n = users.Count;
        var values = new float[m * n];
        if (n == 0)
        {
            return new RewardMatrix(users, m, values);
        }

        using var scope = NewDisposeScope();
        var stateTensor = StateTensor(states, n);
        MapResponses(responses, values, n, (x, p) => ScoreMatrix(x, p, stateTensor), cancellationToken);
        return new RewardMatrix(users, m, values);
    }

    /// <inheritdoc />
    public async Task<PairPredictions> ScorePairsAsync(PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(pairs);
        CheckDimensions(pairs.ResponseDimension, pairs.PromptDimension, pairs.SourcePath ?? "pairs");
        options ??= ScoringOptions.Default;

        // State rows: one per user, then one per distinct direction that records carry. A user whose every record
        // names its own direction needs no state (a named direction without history is DPA's point).
        var rowOfRecord = pairs.UserIndices.ToArray();
        bool[]? needed = null;
        if (pairs.HasDirections && options.Direction is null)
        {
            needed = new bool[pairs.Users.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                if (pairs.DirectionAt(i) is null)
                {
                    needed[rowOfRecord[i]] = true;
                }
            }
        }

        var userStates = await ResolveStatesAsync(pairs.Users, options, cancellationToken, needed).ConfigureAwait(false);
        var rows = new List<float>(userStates);
        var rowCount = pairs.Users.Count;
        if (pairs.HasDirections && options.Direction is null)
        {
            var directionRows = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < pairs.Count; i++)
            {
                if (pairs.DirectionAt(i) is not { } direction)
                {
                    continue;
                }

                var key = string.Join(',', direction.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:R}"));
                if (!directionRows.TryGetValue(key, out var row))
                {
                    row = rowCount++;
                    rows.AddRange(DirectionState(direction));
                    directionRows[key] = row;
                }

                rowOfRecord[i] = row;
            }
        }

        var rewardChosen = new float[pairs.Count];
        var rewardRejected = new float[pairs.Count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var stateTensor = StateTensor([.. rows], rowCount);
        var d = pairs.ResponseDimension;
        var dp = pairs.PromptDimension;
        for (var start = 0; start < pairs.Count; start += ScoringChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(ScoringChunk, pairs.Count - start);
            using var chunkScope = NewDisposeScope();
            var chosen = tensor(pairs.ChosenVectors.Slice(start * d, count * d).ToArray(), [count, d], ScalarType.Float32, Device);
            var rejected = tensor(pairs.RejectedVectors.Slice(start * d, count * d).ToArray(), [count, d], ScalarType.Float32, Device);
            var prompts = dp == 0 ? null : tensor(pairs.PromptVectors.Slice(start * dp, count * dp).ToArray(), [count, dp], ScalarType.Float32, Device);
            var index = PairTensors.IndexTensor(rowOfRecord.AsSpan(start, count), Device);
            var states = stateTensor.index_select(0, index);
            CopyOut(ScoreRows(chosen, prompts, states), rewardChosen.AsSpan(start, count));
            CopyOut(ScoreRows(rejected, prompts, states), rewardRejected.AsSpan(start, count));
        }

        return new PairPredictions(rewardChosen, rewardRejected);
    }

    /// <inheritdoc />
    public async Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(pairs);
        CheckDimensions(pairs.ResponseDimension, pairs.PromptDimension, pairs.SourcePath ?? "pairs");
        options ??= AdaptationOptions.Default;
        var stopwatch = Stopwatch.StartNew();
        var stride = UserEvidence.Stride(Info.ResponseDimension, Info.PromptDimension);
        var byUser = pairs.RecordsByUser();
        var previous = options.Replace
            ? new Dictionary<UserId, UserState>()
            : await UserStates.GetManyAsync(pairs.Users, cancellationToken).ConfigureAwait(false);

        var added = new float[pairs.Users.Count][];
        var plans = new List<(UserId User, UserState? Previous, float[] Evidence, int EvidenceCount, int PairCount)>(pairs.Users.Count);
        for (var u = 0; u < pairs.Users.Count; u++)
        {
            var user = pairs.Users[u];
            added[u] = UserEvidence.Pack(pairs, byUser[u]);
            previous.TryGetValue(user, out var before);
            plans.Add(Plan(user, before, added[u], byUser[u].Length, stride));
        }

        var vectors = InferStatesChecked(plans.Select(p => p.Evidence).ToList(), plans.Select(p => p.User).ToList(), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var results = new List<UserAdaptation>(plans.Count);
        for (var u = 0; u < plans.Count; u++)
        {
            var plan = plans[u];
            var state = NewState(plan.User, plan.Previous, vectors[u], plan.Evidence, plan.EvidenceCount, plan.PairCount);
            if (options.Persist)
            {
                var read = plan.Previous;
                var newPairs = added[u];
                var count = byUser[u].Length;

                // Optimistic concurrency: when another writer changed the user since our read, re-infer from what it wrote.
                state = await UserStates.UpdateAsync(
                    plan.User,
                    current => current?.Revision == read?.Revision && (current is null) == (read is null)
                        ? state
                        : Reinfer(Plan(plan.User, options.Replace ? null : current, newPairs, count, stride), current),
                    cancellationToken).ConfigureAwait(false) ?? state;
            }

            results.Add(new UserAdaptation(plan.User, byUser[u].Length, state.EvidenceCount, plan.Previous is null, state));
        }

        return new AdaptationResult(results, stopwatch.Elapsed);
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
    public byte[] SerializeWeights()
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            _population.save(writer);
        }

        return memory.ToArray();
    }

    /// <summary>The manifest describing this model (weights info is filled in by <see cref="Checkpoint.Write"/>).</summary>
    /// <returns>The manifest.</returns>
    public RunManifest CreateManifest() => new()
    {
        ModelKind = Info.Kind,
        PluralisticVersion = typeof(TorchUserRewardModel).Assembly.GetName().Version?.ToString(3),
        CreatedUtc = DateTimeOffset.UtcNow,
        ResponseDimension = Info.ResponseDimension,
        PromptDimension = Info.PromptDimension,
        ObjectiveNames = Info.ObjectiveNames,
        Options = Info.Options,
        Seed = Info.Seed,
        TrainingData = Info.TrainingData,
        Metrics = Info.Metrics,
        Weights = new WeightsInfo(Checkpoint.WeightsFile, Fingerprint, 0),
    };

    /// <summary>Creates a state record for a user of this model (used by trainers for seen users).</summary>
    /// <param name="user">The user.</param>
    /// <param name="vector">The state vector (<see cref="StateSize"/> floats).</param>
    /// <param name="data">The user's pairs.</param>
    /// <param name="records">The records of the user in <paramref name="data"/>, oldest first.</param>
    /// <returns>The state, retaining the most recent pairs as evidence.</returns>
    public UserState CreateState(UserId user, float[] vector, PreferenceDataset data, ReadOnlySpan<int> records)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var keep = Math.Min(records.Length, Info.EvidenceCapacity);
        var evidence = UserEvidence.Pack(data, records[(records.Length - keep)..]);
        return NewState(user, null, vector, evidence, keep, records.Length);
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
        var m = responses.Count;
        if (destination.Length != m * columns)
        {
            throw new ArgumentException($"expected room for {m} x {columns} values, got {destination.Length}", nameof(destination));
        }

        using var noGrad = no_grad();
        for (var start = 0; start < m; start += ScoringChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = Math.Min(ScoringChunk, m - start);
            using var chunkScope = NewDisposeScope();
            var x = tensor(responses.Responses.Slice(start * responses.Dimension, rows * responses.Dimension).ToArray(), [rows, responses.Dimension], ScalarType.Float32, Device);
            var p = responses.PromptDimension == 0
                ? null
                : tensor(responses.Prompts.Slice(start * responses.PromptDimension, rows * responses.PromptDimension).ToArray(), [rows, responses.PromptDimension], ScalarType.Float32, Device);
            CopyOut(map(x, p), destination.Slice(start * columns, rows * columns));
        }
    }

    /// <summary>Scores M responses for N users: [M, d] x [N, S] -> [M, N]. Called under <c>no_grad</c> in a dispose scope.</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] or <see langword="null"/>.</param>
    /// <param name="states">[N, S].</param>
    /// <returns>[M, N] rewards.</returns>
    protected abstract Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states);

    /// <summary>Scores row i of the responses for row i of the states: [B, d] x [B, S] -> [B].</summary>
    /// <param name="responses">[B, d].</param>
    /// <param name="prompts">[B, dp] or <see langword="null"/>.</param>
    /// <param name="states">[B, S].</param>
    /// <returns>[B] rewards.</returns>
    protected abstract Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states);

    /// <summary>
    /// Infers the state vector of each user from that user's pairs, with the population parameters frozen,
    /// batched across users. Each dataset holds one user's pairs (at least one).
    /// </summary>
    /// <param name="evidence">One dataset per user.</param>
    /// <param name="cancellationToken">Cancels inference.</param>
    /// <returns>One state vector of <see cref="StateSize"/> floats per user.</returns>
    protected abstract float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken);

    /// <summary>The population-level state used for users without one when cold start is allowed.</summary>
    /// <returns>A state vector.</returns>
    protected abstract float[] ColdStartState();

    /// <summary>The state that scores with an explicit direction over named objectives.</summary>
    /// <param name="direction">Objective name to weight.</param>
    /// <returns>A state vector.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model has no named objectives.</exception>
    protected virtual float[] DirectionState(IReadOnlyDictionary<string, double> direction) =>
        throw new CapabilityNotSupportedException(Info.Kind, "scoring with an explicit direction (it has no named objectives)");

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

    private (UserId User, UserState? Previous, float[] Evidence, int EvidenceCount, int PairCount) Plan(
        UserId user, UserState? previous, float[] added, int addedCount, int stride)
    {
        var retained = previous is not null && previous.EvidenceCount * stride == previous.Evidence.Length ? previous.Evidence.Span : default;
        var (packed, count) = UserEvidence.Append(retained, added, stride, Math.Max(Info.EvidenceCapacity, addedCount == 0 ? 0 : 1));

        // With no room to retain evidence, infer from the new pairs alone.
        if (Info.EvidenceCapacity == 0)
        {
            packed = added;
            count = addedCount;
        }

        return (user, previous, packed, count, (previous?.PairCount ?? 0) + addedCount);
    }

    private UserState Reinfer((UserId User, UserState? Previous, float[] Evidence, int EvidenceCount, int PairCount) plan, UserState? current)
    {
        var vector = InferStatesChecked([plan.Evidence], [plan.User], CancellationToken.None)[0];
        return NewState(plan.User, current, vector, plan.Evidence, plan.EvidenceCount, plan.PairCount);
    }

    private float[][] InferStatesChecked(List<float[]> evidence, List<UserId> users, CancellationToken cancellationToken)
    {
        var datasets = new List<PreferenceDataset>(evidence.Count);
        for (var i = 0; i < evidence.Count; i++)
        {
            datasets.Add(UserEvidence.Unpack(users[i], evidence[i], Info.ResponseDimension, Info.PromptDimension)
                ?? throw new EmptyContextException($"user '{users[i]}' has no pairs to learn from"));
        }

        float[][] vectors;
        using (NewDisposeScope())
        {
            vectors = InferStates(datasets, cancellationToken);
        }

        foreach (var v in vectors)
        {
            if (v.Length != StateSize)
            {
                throw new InvalidOperationException($"{Info.Kind}: inferred a state of {v.Length} floats, expected {StateSize}");
            }
        }

        return vectors;
    }

    private UserState NewState(UserId user, UserState? previous, float[] vector, float[] evidence, int evidenceCount, int pairCount)
    {
        var now = DateTimeOffset.UtcNow;
        return new UserState
        {
            User = user,
            ModelKind = Info.Kind,
            ModelFingerprint = Fingerprint,
            Vector = vector,
            Evidence = evidence,
            EvidenceCount = evidenceCount,
            PairCount = pairCount,
            Revision = (previous?.Revision ?? 0) + 1,
            CreatedUtc = previous?.CreatedUtc ?? now,
            UpdatedUtc = now,
        };
    }

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
    protected async Task<float[]> ResolveStatesAsync(IReadOnlyList<UserId> users, ScoringOptions options, CancellationToken cancellationToken, IReadOnlyList<bool>? needed = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(options);
        var size = StateSize;
        var states = new float[users.Count * size];
        if (options.Direction is not null)
        {
            var direction = DirectionState(options.Direction);
            for (var u = 0; u < users.Count; u++)
            {
                direction.CopyTo(states, u * size);
            }

            return states;
        }

        var found = await UserStates.GetManyAsync(users.Where((_, u) => needed is null || needed[u]).Distinct(), cancellationToken).ConfigureAwait(false);
        float[]? coldStart = null;
        for (var u = 0; u < users.Count; u++)
        {
            if (needed is not null && !needed[u])
            {
                continue;
            }

            if (found.TryGetValue(users[u], out var state))
            {
                if (state.ModelKind != Info.Kind || state.ModelFingerprint != Fingerprint)
                {
                    throw new UserStateMismatchException(users[u], $"{Info.Kind}@{UserState.ShortFingerprint(Fingerprint)}", state.ModelTag);
                }

                if (state.Vector.Length != size)
                {
                    throw new UserStateMismatchException(users[u], $"{Info.Kind} with {size}-float states", $"a state of {state.Vector.Length} floats");
                }

                state.Vector.Span.CopyTo(states.AsSpan(u * size, size));
            }
            else if (options.AllowColdStart)
            {
                coldStart ??= ColdStartState();
                coldStart.CopyTo(states, u * size);
            }
            else
            {
                throw new UnknownUserException(users[u]);
            }
        }

        return states;
    }

    private Tensor StateTensor(float[] states, int rows) =>
        tensor(states, [rows, StateSize], ScalarType.Float32, Device);

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

    private static void CopyOut(Tensor values, Span<float> destination)
    {
        var cpu = values.device_type == DeviceType.CPU ? values.contiguous() : values.cpu().contiguous();
        cpu.data<float>().CopyTo(destination);
    }

    private RewardModelMetadata CreateMetadata() => new()
    {
        Kind = Info.Kind,
        ResponseDimension = Info.ResponseDimension,
        PromptDimension = Info.PromptDimension,
        Fingerprint = Fingerprint,
        IsPersonalized = Info.IsPersonalized,
        ObjectiveNames = Info.ObjectiveNames,
        Description = Info.Description,
        TextEmbedder = Info.TextEmbedder,
    };
}
