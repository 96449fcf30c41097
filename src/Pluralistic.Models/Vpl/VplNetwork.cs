using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>
/// VPL's population module. The posterior q(z | context): a pair encoder (by default the difference of one MLP over
/// [response ; prompt] applied to chosen and rejected; optionally the reference's MLP over [chosen ; rejected]), one
/// self-attention set encoder over the user's pairs with masked mean pooling, and linear heads for the mean and
/// log-variance (both clamped to [-1, 1]), optionally followed by learned gradient steps on the mean
/// (<see cref="EpisodicTrainerOptions.AdaptationSteps"/>). The latent used for scoring is the L2-normalised mean scaled by
/// sqrt(latent) (a sample instead of the mean while training); the prior's mean 0 stays 0. The reward head over
/// [response ; prompt ; z] is a <see cref="ConditionedRewardHead"/>: z shifts its hidden layer and generates its output
/// weights, so a user's reward is a user-specific weighting of learned features, and M responses and N latents combine
/// into an M x N grid by broadcasting instead of M x N concatenations.
/// </summary>
internal sealed class VplNetwork : nn.Module
{
    /// <summary>Floats of the largest [rows, latents, hidden] activation built at once when scoring grids.</summary>
    private const long GridBudget = 1L << 22;

    private readonly PairEncoder pairEncoder;
    private readonly SetEncoder setEncoder;
    private readonly Linear posteriorMean;
    private readonly Linear posteriorLogVariance;
    private readonly ConditionedRewardHead head;
    private readonly Tensor? referenceResponses;
    private readonly Tensor? referencePrompts;
    private readonly LearnedContextRefinement? adaptation;

    public VplNetwork(int responseDimension, int promptDimension, VplOptions options)
        : base("vpl")
    {
        ArgumentNullException.ThrowIfNull(options);
        ResponseDimension = responseDimension;
        PromptDimension = promptDimension;
        LatentSize = options.LatentSize;
        pairEncoder = new PairEncoder(responseDimension, promptDimension, options.EncoderHiddenSizes, options.EncoderWidth, includeDifference: true, options.Activation, encoding: options.PairEncoding);
        setEncoder = new SetEncoder(options.EncoderWidth, options.AttentionHeads);
        posteriorMean = nn.Linear(options.EncoderWidth, options.LatentSize);
        posteriorLogVariance = nn.Linear(options.EncoderWidth, options.LatentSize);
        HeadWidth = options.HeadHiddenSizes.Max();
        head = new ConditionedRewardHead(responseDimension + promptDimension, options.LatentSize, options.HeadHiddenSizes, options.HeadActivation, name: "head");
        if (options.RewardScaling == VplRewardScaling.WinProbability)
        {
            referenceResponses = zeros(options.ReferenceResponses, responseDimension);
            referencePrompts = promptDimension > 0 ? zeros(options.ReferenceResponses, promptDimension) : null;
        }

        if (options.AdaptationSteps > 0)
        {
            adaptation = new LearnedContextRefinement(options.AdaptationSteps, options.AdaptationStepSize, options.AdaptationAnchor, options.AdaptationGradient, name: "adaptation");
        }

        RegisterComponents();
    }

    public int ResponseDimension { get; }

    public int PromptDimension { get; }

    public int LatentSize { get; }

    /// <summary>The width of the reward head's widest hidden layer.</summary>
    public int HeadWidth { get; }

    /// <summary>Whether rewards are reported as win probabilities against the reference set.</summary>
    public bool ScalesRewards => referenceResponses is not null;

    /// <summary>Fills the reference set of <see cref="VplRewardScaling.WinProbability"/> (training only).</summary>
    /// <param name="responses">[R, d].</param>
    /// <param name="prompts">[R, dp] or <see langword="null"/>.</param>
    public void SetReferenceSet(Tensor responses, Tensor? prompts)
    {
        using var noGrad = no_grad();
        referenceResponses!.copy_(responses);
        referencePrompts?.copy_(prompts!);
    }

    /// <summary>q(z | context) for padded sets of pairs.</summary>
    /// <param name="chosen">[B, K, d].</param>
    /// <param name="rejected">[B, K, d].</param>
    /// <param name="prompts">[B, K, dp] or <see langword="null"/>.</param>
    /// <param name="mask">[B, K]: 1 for a real pair, 0 for padding.</param>
    /// <returns>Mean and log-variance, each [B, latent], clamped to [-1, 1].</returns>
    public (Tensor Mean, Tensor LogVariance) Posterior(Tensor chosen, Tensor rejected, Tensor? prompts, Tensor mask)
    {
        var items = pairEncoder.call(chosen, rejected, prompts);
        var pooled = setEncoder.call(items, mask);
        return (posteriorMean.call(pooled).clamp(ScalarCache.Of(-1), ScalarCache.Of(1)), posteriorLogVariance.call(pooled).clamp(ScalarCache.Of(-1), ScalarCache.Of(1)));
    }

    /// <summary>
    /// The posterior means after <see cref="EpisodicTrainerOptions.AdaptationSteps"/> gradient steps that fit each user's context
    /// pairs with the population frozen, scoring with the mean's latent (the means themselves when there are no steps).
    /// </summary>
    /// <param name="mean">The encoder's means [B, latent].</param>
    /// <param name="logVariance">The encoder's log-variances [B, latent] (unchanged by the steps).</param>
    /// <param name="chosen">[B, K, d].</param>
    /// <param name="rejected">[B, K, d].</param>
    /// <param name="prompts">[B, K, dp] or <see langword="null"/>.</param>
    /// <param name="weights">Pair weights times the mask [B, K].</param>
    /// <param name="differentiable">Keep the graph (training) or detach each step (adapting users).</param>
    /// <returns>[B, latent].</returns>
    public Tensor AdaptMean(Tensor mean, Tensor logVariance, Tensor chosen, Tensor rejected, Tensor? prompts, Tensor weights, bool differentiable)
    {
        if (adaptation is null)
        {
            return mean;
        }

        // The pairs' projection does not depend on the latent: computed once for every step, padding left out.
        var pairs = new PackedContextPairs(head, RewardInputs.Of(chosen, prompts), RewardInputs.Of(rejected, prompts), weights, adaptation.TracksProjection(differentiable));
        return adaptation.Refine(mean, m => pairs.Margins(Latent(m, logVariance, null)), weights, differentiable);
    }

    /// <summary>Margins r(chosen | z) - r(rejected | z) with broadcasting, both sides through the head in one pass.</summary>
    /// <param name="chosen">[..., d].</param>
    /// <param name="rejected">[..., d].</param>
    /// <param name="prompts">[..., dp] or <see langword="null"/>.</param>
    /// <param name="latents">[..., latent], broadcastable against the pairs' leading dimensions.</param>
    /// <returns>The broadcast leading shape.</returns>
    public Tensor Margins(Tensor chosen, Tensor rejected, Tensor? prompts, Tensor latents) =>
        head.Margins(head.ProjectPairs(RewardInputs.Of(chosen, prompts), RewardInputs.Of(rejected, prompts)), latents);

    /// <summary>
    /// The latent that conditions the reward: the mean, or a reparameterised sample when <paramref name="noise"/> is
    /// given, L2-normalised and scaled by sqrt(latent). A zero vector (the prior's mean) stays zero.
    /// </summary>
    /// <param name="mean">[..., latent].</param>
    /// <param name="logVariance">[..., latent] (used with <paramref name="noise"/>).</param>
    /// <param name="noise">Standard normal noise of the same shape, or <see langword="null"/> for the mean.</param>
    /// <returns>[..., latent].</returns>
    public Tensor Latent(Tensor mean, Tensor logVariance, Tensor? noise)
    {
        var z = noise is null ? mean : mean.Plus(logVariance.mul(ScalarCache.Of(0.5)).exp() * noise);
        return z.div(z.norm(-1, keepdim: true).clamp_min(ScalarCache.Of(1e-6))).mul(ScalarCache.Of(Math.Sqrt(LatentSize)));
    }

    /// <summary>The scoring latent of state vectors [mean ; log-variance].</summary>
    /// <param name="states">[N, 2 x latent].</param>
    /// <returns>[N, latent].</returns>
    public Tensor StateLatent(Tensor states) => Latent(states.narrow(1, 0, LatentSize), states.narrow(1, LatentSize, LatentSize), null);

    /// <summary>KL(N(mean, exp(logVariance)) || N(0, I)), summed over latent dimensions.</summary>
    /// <param name="mean">[B, latent].</param>
    /// <param name="logVariance">[B, latent].</param>
    /// <returns>[B].</returns>
    public static Tensor KlToPrior(Tensor mean, Tensor logVariance) =>
        (logVariance.exp().Plus(mean.Squared()).sub(ScalarCache.Of(1L)) - logVariance).sum(-1).mul(ScalarCache.Of(0.5));

    /// <summary>Raw rewards with broadcasting: inputs [..., d + dp] and latents [..., latent] give [...].</summary>
    /// <param name="inputs">[..., d + dp] (<see cref="RewardInputs.Of"/>).</param>
    /// <param name="latents">[..., latent], broadcastable against the inputs' leading dimensions.</param>
    /// <returns>The broadcast leading shape.</returns>
    public Tensor Rewards(Tensor inputs, Tensor latents) => head.call(inputs, latents);

    /// <summary>Raw rewards of M inputs under N latents [M, N], built in row chunks that bound memory.</summary>
    /// <param name="inputs">[M, d + dp].</param>
    /// <param name="latents">[N, latent].</param>
    /// <returns>[M, N].</returns>
    public Tensor RewardMatrix(Tensor inputs, Tensor latents) => head.Matrix(inputs, latents);

    /// <summary>Rewards of M responses for N latents, scaled when the model reports win probabilities.</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] or <see langword="null"/>.</param>
    /// <param name="latents">[N, latent].</param>
    /// <returns>[M, N].</returns>
    public Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor latents)
    {
        var rewards = RewardMatrix(RewardInputs.Of(responses, prompts), latents);
        if (!ScalesRewards)
        {
            return rewards;
        }

        // Win probability against every reference response, for each user: [M, N] vs [R, N].
        var reference = RewardMatrix(RewardInputs.Of(referenceResponses!, referencePrompts), latents);
        var m = rewards.shape[0];
        var n = rewards.shape[1];
        var rows = Math.Max(1, GridBudget / Math.Max(n * reference.shape[0], 1));
        var parts = new List<Tensor>();
        for (long start = 0; start < m; start += rows)
        {
            using var scope = NewDisposeScope();
            var chunk = rewards.narrow(0, start, Math.Min(rows, m - start));
            parts.Add((chunk.unsqueeze(1) - reference.unsqueeze(0)).sigmoid().mean([1]).MoveToOuterDisposeScope());
        }

        return cat(parts, dim: 0);
    }

    /// <summary>Row i of the responses under latent i, scaled when the model reports win probabilities.</summary>
    /// <param name="responses">[B, d].</param>
    /// <param name="prompts">[B, dp] or <see langword="null"/>.</param>
    /// <param name="latents">[B, latent].</param>
    /// <returns>[B].</returns>
    public Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor latents)
    {
        var rewards = Rewards(RewardInputs.Of(responses, prompts), latents);
        if (!ScalesRewards)
        {
            return rewards;
        }

        var referenceInputs = RewardInputs.Of(referenceResponses!, referencePrompts);
        var b = rewards.shape[0];
        var rows = Math.Max(1, GridBudget / Math.Max(referenceInputs.shape[0] * HeadWidth, 1));
        var parts = new List<Tensor>();
        for (long start = 0; start < b; start += rows)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(rows, b - start);
            var reference = RewardMatrix(referenceInputs, latents.narrow(0, start, length));
            parts.Add((rewards.narrow(0, start, length).unsqueeze(0) - reference).sigmoid().mean([0]).MoveToOuterDisposeScope());
        }

        return cat(parts, dim: 0);
    }
}
