using Pluralistic.Text;

namespace Pluralistic.Samples.RewardServer;

/// <summary>
/// Records feedback without holding a lock while a model infers. Each request embeds its own pair, then hands it to
/// its user's queue. One adaptation per user runs at a time in this process: it takes every pair queued for the user
/// (up to <see cref="MaxPairsPerAdaptation"/>) and adapts them in one <see cref="IUserRewardModel.AdaptAsync"/> call,
/// which infers outside the store's locks and commits by compare-and-swap on the revision it read, retrying when
/// another writer (another server on the same store) committed first. Pairs that arrive meanwhile wait for the next
/// adaptation, so 16 concurrent pairs for one user cost about two adaptations instead of sixteen in a row, and none is
/// lost: concurrent adaptations of one user in one process would only make each other's commits fail.
/// </summary>
/// <param name="model">The model (with its embedder) whose store keeps the states.</param>
/// <param name="retries">
/// Adaptations of a batch after the model's own bounded compare-and-swap retries failed with a conflict, before the
/// batch's requests get a <see cref="UserStateConflictException"/> (the pairs were not recorded).
/// </param>
internal sealed class FeedbackBatcher(IUserRewardModel model, int retries = 3)
{
    /// <summary>The most pairs one adaptation takes from a user's queue (bounds the time of one inference).</summary>
    public const int MaxPairsPerAdaptation = 64;

    private readonly Dictionary<UserId, List<Pending>> _queues = [];
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
            batch.Responses[..d].ToArray(),
            batch.Responses[d..(2 * d)].ToArray(),
            batch.Prompts[..batch.PromptDimension].ToArray(),
            new PreferenceRecordExtras { PromptText = prompt, ChosenText = chosen, RejectedText = rejected });
        bool start;
        lock (_gate)
        {
            start = !_queues.TryGetValue(user, out var queue);
            if (start)
            {
                _queues[user] = queue = [];
            }

            queue!.Add(pending);
        }

        if (start)
        {
            // The drain is no request's: a request that stops waiting does not stop the pairs queued behind it.
            _ = Task.Run(() => DrainAsync(user, d, batch.PromptDimension), CancellationToken.None);
        }

        return await pending.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Adapts the user's queued pairs, batch after batch, until the queue is empty; then forgets the queue.
    private async Task DrainAsync(UserId user, int dimension, int promptDimension)
    {
        while (true)
        {
            List<Pending> taken;
            lock (_gate)
            {
                var queue = _queues[user];
                if (queue.Count == 0)
                {
                    _queues.Remove(user);
                    return;
                }

                taken = queue.GetRange(0, Math.Min(MaxPairsPerAdaptation, queue.Count));
                queue.RemoveRange(0, taken.Count);
            }

            try
            {
                var adaptation = await AdaptAsync(user, dimension, promptDimension, taken).ConfigureAwait(false);
                for (var i = 0; i < taken.Count; i++)
                {
                    // The first pair of a batch that created the user is the one that made it new.
                    taken[i].Done.TrySetResult((adaptation, adaptation.IsNewUser && i == 0));
                }
            }
            catch (Exception e)
            {
                foreach (var pending in taken)
                {
                    pending.Done.TrySetException(e);
                }
            }
        }
    }

    private async Task<UserAdaptation> AdaptAsync(UserId user, int dimension, int promptDimension, List<Pending> taken)
    {
        var builder = new PreferenceDatasetBuilder(dimension, promptDimension, taken.Count);
        foreach (var pending in taken)
        {
            builder.Add(user, pending.Chosen, pending.Rejected, pending.Prompt, pending.Extras);
        }

        var pairs = builder.Build();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await model.AdaptAsync(pairs).ConfigureAwait(false)).Users[0];
            }
            catch (UserStateConflictException) when (attempt < retries)
            {
                // Another process kept winning the compare-and-swap: step aside briefly, then read and infer again.
                await Task.Delay(Random.Shared.Next(1, 10 << attempt)).ConfigureAwait(false);
            }
        }
    }

    private sealed record Pending(float[] Chosen, float[] Rejected, float[] Prompt, PreferenceRecordExtras Extras)
    {
        public TaskCompletionSource<(UserAdaptation Adaptation, bool NewUser)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
