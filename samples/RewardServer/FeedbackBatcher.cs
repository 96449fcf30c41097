using Pluralistic.Text;

namespace Pluralistic.Samples.RewardServer;

/// <summary>
/// Records feedback without holding a lock while a model infers. Each request embeds its own pair, then hands it to a
/// lane. One adaptation per lane runs at a time: it takes every pair queued in the lane (up to
/// <see cref="MaxPairsPerAdaptation"/>) and adapts them in one <see cref="IUserRewardModel.AdaptAsync"/> call, which
/// infers outside the store's locks (all the batch's users at once) and commits each user by compare-and-swap on the
/// revision it read, retrying when another writer committed first. Pairs that arrive meanwhile wait for the lane's
/// next adaptation, so 16 concurrent pairs cost about two adaptations instead of sixteen in a row, and none is lost:
/// a user always falls in the same lane, so two adaptations of one user never race in this process.
/// </summary>
/// <remarks>
/// With a store only this process writes (the run's LiteDB file), users are spread over one lane per core and a batch
/// spans users. With a store other servers write too, every user has a lane of its own: a batch then holds one user,
/// whose conflicts with the other servers can be retried as a whole (a batch of several users that failed on one
/// might have committed the others).
/// </remarks>
internal sealed class FeedbackBatcher(IUserRewardModel model, bool sharedStore, int retries = 3)
{
    /// <summary>The most pairs one adaptation takes from a user's queue (bounds the time of one inference).</summary>
    public const int MaxPairsPerAdaptation = 64;

    private readonly Dictionary<Lane, List<Pending>> _queues = [];
    private readonly Lock _gate = new();

    /// <summary>Records one pair and adapts its user.</summary>
    /// <param name="user">The user.</param>
    /// <param name="prompt">The prompt both replies answer (when the model reads prompts).</param>
    /// <param name="chosen">The preferred reply.</param>
    /// <param name="rejected">The other reply.</param>
    /// <param name="cancellationToken">Stops waiting; a pair already queued may still be recorded.</param>
    /// <returns>The user's adaptation that recorded the pair, and whether the pair created the user.</returns>
    /// <exception cref="UserStateConflictException">Other writers kept changing the user's state; the pair was not recorded.</exception>
    public async Task<(UserAdaptation Adaptation, bool NewUser)> RecordAsync(UserId user, string? prompt, string chosen, string rejected, CancellationToken cancellationToken)
    {
        var batch = await model.EmbedAsync(prompt, [chosen, rejected], cancellationToken).ConfigureAwait(false);
        var d = batch.Dimension;
        var pending = new Pending(
            user,
            batch.Responses[..d].ToArray(),
            batch.Responses[d..(2 * d)].ToArray(),
            batch.Prompts[..batch.PromptDimension].ToArray(),
            new PreferenceRecordExtras { PromptText = prompt, ChosenText = chosen, RejectedText = rejected });
        var lane = sharedStore ? new Lane(-1, user) : new Lane((int)((uint)StringComparer.Ordinal.GetHashCode(user.Value) % (uint)Environment.ProcessorCount), default);
        bool start;
        lock (_gate)
        {
            start = !_queues.TryGetValue(lane, out var queue);
            if (start)
            {
                _queues[lane] = queue = [];
            }

            queue!.Add(pending);
        }

        if (start)
        {
            // The drain is no request's: a request that stops waiting does not stop the pairs queued behind it.
            _ = Task.Run(() => DrainAsync(lane, d, batch.PromptDimension), CancellationToken.None);
        }

        return await pending.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Adapts the lane's queued pairs, batch after batch, until the queue is empty; then forgets the queue.
    private async Task DrainAsync(Lane lane, int dimension, int promptDimension)
    {
        while (true)
        {
            List<Pending> taken;
            lock (_gate)
            {
                var queue = _queues[lane];
                if (queue.Count == 0)
                {
                    _queues.Remove(lane);
                    return;
                }

                taken = queue.GetRange(0, Math.Min(MaxPairsPerAdaptation, queue.Count));
                queue.RemoveRange(0, taken.Count);
            }

            try
            {
                var adaptations = await AdaptAsync(dimension, promptDimension, taken).ConfigureAwait(false);
                var seen = new HashSet<UserId>();
                foreach (var pending in taken)
                {
                    // The first pair of a batch that created its user is the one that made it new.
                    var adaptation = adaptations[pending.User];
                    pending.Done.TrySetResult((adaptation, adaptation.IsNewUser && seen.Add(pending.User)));
                }
            }
            catch (Exception e)
            {
                // A conflict in a batch of several users may come after some of them were committed: not a 409 ("not
                // recorded, send again"), which could record a pair twice. Only an in-process delete racing eight
                // attempts can cause it with a store of this process's own.
                var error = e is UserStateConflictException && taken.Exists(p => p.User != taken[0].User)
                    ? new InvalidOperationException("Feedback for several users could not all be committed; some pairs may have been recorded.", e)
                    : e;
                foreach (var pending in taken)
                {
                    pending.Done.TrySetException(error);
                }
            }
        }
    }

    private async Task<Dictionary<UserId, UserAdaptation>> AdaptAsync(int dimension, int promptDimension, List<Pending> taken)
    {
        var builder = new PreferenceDatasetBuilder(dimension, promptDimension, taken.Count);
        foreach (var pending in taken)
        {
            builder.Add(pending.User, pending.Chosen, pending.Rejected, pending.Prompt, pending.Extras);
        }

        var pairs = builder.Build();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await model.AdaptAsync(pairs).ConfigureAwait(false)).Users.ToDictionary(a => a.User);
            }
            catch (UserStateConflictException) when (attempt < retries && pairs.Users.Count == 1)
            {
                // Another process kept winning the compare-and-swap: step aside briefly, then read and infer again.
                await Task.Delay(Random.Shared.Next(1, 10 << attempt)).ConfigureAwait(false);
            }
        }
    }

    // A queue of pairs: one per user (Stripe -1) or one per stripe of users.
    private readonly record struct Lane(int Stripe, UserId User);

    private sealed record Pending(UserId User, float[] Chosen, float[] Rejected, float[] Prompt, PreferenceRecordExtras Extras)
    {
        public TaskCompletionSource<(UserAdaptation Adaptation, bool NewUser)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
