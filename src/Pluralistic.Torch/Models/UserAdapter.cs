using System.Diagnostics;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Adapts users from their pairs: plans each user's evidence (retained pairs plus new ones), infers the states in
/// one batch and writes each with optimistic concurrency: when another writer changed the user since it was read,
/// the state is inferred again from what that writer wrote.
/// </summary>
/// <param name="store">Where user states live.</param>
/// <param name="info">What the model is.</param>
/// <param name="states">Makes the model's state records.</param>
/// <param name="method">The method's hooks (state size, inference).</param>
internal sealed class UserAdapter(IUserStateStore store, TorchModelInfo info, UserStateFactory states, ITorchMethodHooks method)
{
    private static readonly IReadOnlyDictionary<UserId, UserState> None = new Dictionary<UserId, UserState>();

    /// <summary>Learns or refines the state of every user in <paramref name="pairs"/>.</summary>
    /// <param name="pairs">The pairs (dimensions already checked).</param>
    /// <param name="options">Replace or refine, persist or not.</param>
    /// <param name="cancellationToken">Cancels reads, inference and the writes not yet made.</param>
    /// <returns>What adapting did, per user.</returns>
    /// <exception cref="EmptyContextException">A user has no pairs to learn from.</exception>
    public async Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions options, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var byUser = pairs.RecordsByUser();
        var previous = options.Replace
            ? None
            : await store.GetManyAsync(pairs.Users, cancellationToken).ConfigureAwait(false);

        var users = pairs.Users;
        var added = new float[users.Count][];
        var basis = new UserState?[users.Count];
        var plans = new EvidencePlan[users.Count];
        for (var u = 0; u < users.Count; u++)
        {
            added[u] = UserEvidence.Pack(pairs, byUser[u]);
            previous.TryGetValue(users[u], out basis[u]);
            plans[u] = states.Plan(basis[u], added[u], byUser[u].Length);
        }

        var vectors = InferChecked(users, plans, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var results = new List<UserAdaptation>(users.Count);
        for (var u = 0; u < users.Count; u++)
        {
            var user = users[u];
            var state = states.Next(user, basis[u], vectors[u], plans[u]);
            if (options.Persist)
            {
                var read = basis[u];
                var newPairs = added[u];
                var count = byUser[u].Length;

                // Optimistic concurrency: when another writer changed the user since our read, re-infer from what it wrote.
                state = await store.UpdateAsync(
                    user,
                    current => current?.Revision == read?.Revision && (current is null) == (read is null)
                        ? state
                        : Reinfer(user, options.Replace ? null : current, current, newPairs, count),
                    cancellationToken).ConfigureAwait(false) ?? state;
            }

            results.Add(new UserAdaptation(user, byUser[u].Length, state.EvidenceCount, basis[u] is null, state));
        }

        return new AdaptationResult(results, stopwatch.Elapsed);
    }

    private UserState Reinfer(UserId user, UserState? retainedFrom, UserState? current, float[] added, int addedCount)
    {
        var plan = states.Plan(retainedFrom, added, addedCount);
        var vector = InferChecked([user], [plan], CancellationToken.None)[0];
        return states.Next(user, current, vector, plan);
    }

    private float[][] InferChecked(IReadOnlyList<UserId> users, EvidencePlan[] plans, CancellationToken cancellationToken)
    {
        var datasets = new List<PreferenceDataset>(plans.Length);
        for (var i = 0; i < plans.Length; i++)
        {
            datasets.Add(UserEvidence.Unpack(users[i], plans[i].Evidence, info.ResponseDimension, info.PromptDimension)
                ?? throw new EmptyContextException($"user '{users[i]}' has no pairs to learn from"));
        }

        float[][] vectors;
        using (NewDisposeScope())
        {
            vectors = method.InferStates(datasets, cancellationToken);
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
}
