using System.Diagnostics;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Adapts users from their pairs: plans each user's evidence (retained pairs plus new ones), infers the states in
/// one batch, and commits each with a compare-and-swap on the state it was inferred from. When another writer
/// committed first, the user's state is read again and inferred again from what that writer left, outside any
/// store lock, at most <see cref="MaxAttempts"/> times.
/// </summary>
/// <param name="store">Where user states live.</param>
/// <param name="info">What the model is.</param>
/// <param name="states">Makes the model's state records.</param>
/// <param name="method">The method's hooks (state size, inference).</param>
internal sealed class UserAdapter(IUserStateStore store, TorchModelInfo info, UserStateFactory states, ITorchMethodHooks method)
{
    /// <summary>Inferences and commits per user before an adaptation gives up with a <see cref="UserStateConflictException"/>.</summary>
    public const int MaxAttempts = 8;

    private static readonly IReadOnlyDictionary<UserId, UserState> None = new Dictionary<UserId, UserState>();

    /// <summary>Learns or refines the state of every user in <paramref name="pairs"/>.</summary>
    /// <param name="pairs">The pairs (dimensions already checked).</param>
    /// <param name="options">Replace or refine, persist or not.</param>
    /// <param name="cancellationToken">Cancels reads, inference and the commits not yet made.</param>
    /// <returns>What adapting did, per user.</returns>
    /// <exception cref="EmptyContextException">A user has no pairs to learn from.</exception>
    /// <exception cref="UserStateConflictException">A user's state changed under every attempt to commit it.</exception>
    public async Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions options, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var byUser = pairs.RecordsByUser();

        // Replace forgets the stored evidence; the stored state still gives the revision a write follows.
        var read = options.Replace && !options.Persist
            ? None
            : await store.GetManyAsync(pairs.Users, cancellationToken).ConfigureAwait(false);
        var work = new UserWork[pairs.Users.Count];
        var isNew = new bool[work.Length];
        for (var u = 0; u < work.Length; u++)
        {
            var user = pairs.Users[u];
            work[u] = new UserWork(user, UserEvidence.Pack(pairs, byUser[u]), byUser[u].Length);
            read.TryGetValue(user, out var stored);
            isNew[u] = options.Replace || stored is null;
            Rebase(work[u], stored, options.Replace);
        }

        Infer(work, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (options.Persist)
        {
            await CommitAsync(work, options.Replace, cancellationToken).ConfigureAwait(false);
        }

        var results = new List<UserAdaptation>(work.Length);
        for (var u = 0; u < work.Length; u++)
        {
            results.Add(new UserAdaptation(work[u].User, work[u].AddedCount, work[u].State!.EvidenceCount, isNew[u], work[u].State!));
        }

        return new AdaptationResult(results, stopwatch.Elapsed);
    }

    // Commits every user's state; the users whose state another writer changed since it was read are read again,
    // inferred again (outside the store's lock) and committed again, in rounds.
    private async Task CommitAsync(UserWork[] work, bool replace, CancellationToken cancellationToken)
    {
        IReadOnlyList<UserWork> pending = work;
        for (var attempt = 1; ; attempt++)
        {
            var conflicts = new List<UserWork>();
            foreach (var user in pending)
            {
                if (!await UserStateCommit.TryCommitAsync(store, user.Basis, user.State!, cancellationToken).ConfigureAwait(false))
                {
                    conflicts.Add(user);
                }
            }

            if (conflicts.Count == 0)
            {
                return;
            }

            if (attempt == MaxAttempts)
            {
                throw new UserStateConflictException(conflicts[0].User, attempt);
            }

            var current = await store.GetManyAsync(conflicts.Select(w => w.User), cancellationToken).ConfigureAwait(false);
            foreach (var user in conflicts)
            {
                current.TryGetValue(user.User, out var stored);
                Rebase(user, stored, replace);
            }

            Infer(conflicts, cancellationToken);
            pending = conflicts;
        }
    }

    // Bases the user's next state on `stored`. Refining plans the evidence again (retained pairs of `stored` plus the
    // new ones) and so needs inference again; replacing keeps its evidence and vector, only the revision moves on.
    private void Rebase(UserWork user, UserState? stored, bool replace)
    {
        user.Basis = stored;
        if (!replace || user.Vector is null)
        {
            user.Plan = states.Plan(replace ? null : stored, user.Added, user.AddedCount);
            user.Vector = null;
        }
    }

    // Infers, in one batch, the users whose plan has no vector yet, then stamps every user's next state.
    private void Infer(IReadOnlyList<UserWork> work, CancellationToken cancellationToken)
    {
        var stale = work.Where(w => w.Vector is null).ToList();
        if (stale.Count > 0)
        {
            var vectors = InferChecked(stale, cancellationToken);
            for (var i = 0; i < stale.Count; i++)
            {
                stale[i].Vector = vectors[i];
            }
        }

        foreach (var user in work)
        {
            user.State = states.Next(user.User, user.Basis, user.Vector!, user.Plan);
        }
    }

    private float[][] InferChecked(List<UserWork> work, CancellationToken cancellationToken)
    {
        var datasets = new List<PreferenceDataset>(work.Count);
        foreach (var user in work)
        {
            datasets.Add(UserEvidence.Unpack(user.User, user.Plan.Evidence, info.ResponseDimension, info.PromptDimension)
                ?? throw new EmptyContextException($"user '{user.User}' has no pairs to learn from"));
        }

        float[][] vectors;
        using (NewDisposeScope())
        {
            vectors = method.InferStates(datasets, cancellationToken);
        }

        if (vectors.Length != datasets.Count)
        {
            throw new InvalidOperationException($"{info.Kind}: inferred {vectors.Length} states for {datasets.Count} users");
        }

        var size = method.StateSize;
        foreach (var v in vectors)
        {
            if (v.Length != size)
            {
                throw new InvalidOperationException($"{info.Kind}: inferred a state of {v.Length} floats, expected {size}");
            }
        }

        return vectors;
    }

    /// <summary>One user's adaptation in progress.</summary>
    /// <param name="user">The user.</param>
    /// <param name="added">The user's new pairs, packed.</param>
    /// <param name="addedCount">How many new pairs.</param>
    private sealed class UserWork(UserId user, float[] added, int addedCount)
    {
        public UserId User { get; } = user;

        public float[] Added { get; } = added;

        public int AddedCount { get; } = addedCount;

        /// <summary>The stored state the next state follows (and the commit expects), or <see langword="null"/>.</summary>
        public UserState? Basis { get; set; }

        public EvidencePlan Plan { get; set; }

        /// <summary>The state vector inferred from <see cref="Plan"/>; <see langword="null"/> until inferred.</summary>
        public float[]? Vector { get; set; }

        public UserState? State { get; set; }
    }
}
