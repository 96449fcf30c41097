using Microsoft.Extensions.AI;

namespace Pluralistic.Text;

/// <summary>One candidate's place in a per-user ranking.</summary>
/// <param name="Index">The candidate's index in the input.</param>
/// <param name="Text">The candidate.</param>
/// <param name="Reward">Its reward for the user.</param>
public sealed record RankedCandidate(int Index, string Text, float Reward);

/// <summary>
/// Text in, per-user rewards out: ranking and best-of-n over candidate replies, and recording a user's pick as
/// feedback that adapts the user online. The model needs an embedder (<see cref="EmbeddingGeneratorRewardModel"/>,
/// or <c>UseEmbeddingGenerator</c> in a builder).
/// </summary>
public static class TextRewardModelExtensions
{
    /// <summary>Ranks candidate replies for one user, best first.</summary>
    /// <param name="model">The model (with an embedder).</param>
    /// <param name="user">The user.</param>
    /// <param name="prompt">The prompt the candidates answer (used when the model reads prompts).</param>
    /// <param name="candidates">The candidate replies.</param>
    /// <param name="options">Scoring options (cold start, explicit direction).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The candidates ordered by reward, highest first.</returns>
    public static async Task<IReadOnlyList<RankedCandidate>> RankAsync(
        this IUserRewardModel model, UserId user, string? prompt, IReadOnlyList<string> candidates, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("at least one candidate is required", nameof(candidates));
        }

        var batch = await EmbedAsync(model, prompt, candidates, cancellationToken).ConfigureAwait(false);
        var rewards = await model.ScoreAsync(user, batch, options, cancellationToken).ConfigureAwait(false);
        return rewards.Select((reward, i) => new RankedCandidate(i, candidates[i], reward)).OrderByDescending(c => c.Reward).ThenBy(c => c.Index).ToList();
    }

    /// <summary>The candidate reply with the highest reward for one user.</summary>
    /// <param name="model">The model (with an embedder).</param>
    /// <param name="user">The user.</param>
    /// <param name="prompt">The prompt the candidates answer.</param>
    /// <param name="candidates">The candidate replies.</param>
    /// <param name="options">Scoring options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The best candidate.</returns>
    public static async Task<RankedCandidate> BestOfNAsync(
        this IUserRewardModel model, UserId user, string? prompt, IReadOnlyList<string> candidates, ScoringOptions? options = null, CancellationToken cancellationToken = default) =>
        (await model.RankAsync(user, prompt, candidates, options, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Records that a user preferred one reply over another and adapts the user online (persisted in the model's store).</summary>
    /// <param name="model">The model (with an embedder).</param>
    /// <param name="user">The user.</param>
    /// <param name="prompt">The prompt both replies answer.</param>
    /// <param name="chosen">The preferred reply.</param>
    /// <param name="rejected">The other reply.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user's adaptation.</returns>
    public static async Task<UserAdaptation> RecordFeedbackAsync(
        this IUserRewardModel model, UserId user, string? prompt, string chosen, string rejected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        var batch = await EmbedAsync(model, prompt, [chosen, rejected], cancellationToken).ConfigureAwait(false);
        var d = batch.Dimension;
        var dp = batch.PromptDimension;
        var pair = new PreferenceDatasetBuilder(d, dp, 1)
            .Add(user, batch.Responses.Span[..d], batch.Responses.Span[d..], batch.Prompts.Span[..dp], new PreferenceRecordExtras { PromptText = prompt, ChosenText = chosen, RejectedText = rejected })
            .Build();
        var result = await model.AdaptAsync(pair, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.Users[0];
    }

    /// <summary>Embeds candidates (and the prompt, when the model reads prompts) into a response batch.</summary>
    /// <param name="model">The model (with an embedder).</param>
    /// <param name="prompt">The prompt.</param>
    /// <param name="candidates">The responses.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The batch.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model has no embedder.</exception>
    public static async Task<ResponseBatch> EmbedAsync(this IUserRewardModel model, string? prompt, IReadOnlyList<string> candidates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(candidates);
        var generator = model.GetService<IEmbeddingGenerator<string, Embedding<float>>>()
            ?? throw new CapabilityNotSupportedException(model.Metadata.Kind, "text input without an embedding generator (wrap the model with an EmbeddingGeneratorRewardModel or UseEmbeddingGenerator)");
        var readsPrompt = model.Metadata.PromptDimension > 0;
        if (readsPrompt && prompt is null)
        {
            throw new ArgumentException("this model reads prompts; give the prompt the candidates answer", nameof(prompt));
        }

        var texts = readsPrompt ? [.. candidates, prompt!] : candidates.ToList();
        var embeddings = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var vectors = embeddings.Take(candidates.Count).Select(e => e.Vector.ToArray()).ToList();
        return ResponseBatch.FromVectors(vectors, readsPrompt ? embeddings[^1].Vector.ToArray() : null);
    }
}
