using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// FSPO's population model: a reward head <c>r(response, prompt | s)</c> conditioned on a user summary s, a learned
/// population summary (cold start), and the reading of a user's context pairs into s — learned gradient steps that fit
/// the pairs starting from the population summary, or (<see cref="FspoOptions.SetEncoder"/>) from what a pair encoder
/// and a self-attention set encoder make of them. Deterministic: no sampling anywhere.
/// </summary>
internal sealed class FspoNetwork : nn.Module
{
    private readonly PairEncoder? pairs;
    private readonly SetEncoder? set;
    private readonly Mlp? summary;
    private readonly Parameter empty;
    private readonly ConditionedRewardHead head;
    private readonly LearnedContextRefinement? adaptation;

    public FspoNetwork(int responseDimension, int promptDimension, FspoOptions options)
        : base("fspo")
    {
        ResponseDimension = responseDimension;
        PromptDimension = promptDimension;
        SummarySize = options.SummarySize;
        if (options.SetEncoder)
        {
            pairs = new PairEncoder(responseDimension, promptDimension, options.PairHiddenSizes, options.PairFeatures, includeDifference: true, options.Activation, name: "pairs");
            set = new SetEncoder(options.PairFeatures, options.AttentionHeads, name: "set");

            // The pooled features and log(1 + pairs): a mean alone cannot tell one pair from twenty.
            summary = new Mlp(options.PairFeatures + 1, [], options.SummarySize, name: "summary");
        }

        empty = new Parameter(zeros(options.SummarySize));
        head = new ConditionedRewardHead(responseDimension + promptDimension, options.SummarySize, options.HeadHiddenSizes, options.Activation, name: "head");

        if (options.AdaptationSteps > 0)
        {
            adaptation = new LearnedContextRefinement(options.AdaptationSteps, options.AdaptationStepSize, options.AdaptationAnchor, options.AdaptationGradient, name: "adaptation");
        }

        RegisterComponents();
    }

    public int ResponseDimension { get; }

    public int PromptDimension { get; }

    public int SummarySize { get; }

    /// <summary>
    /// The starting summary of each set of context pairs: the set encoder's reading of them, or the population summary
    /// without a set encoder (then only <see cref="Adapt"/> reads the pairs).
    /// </summary>
    /// <param name="chosen">[B, K, d].</param>
    /// <param name="rejected">[B, K, d].</param>
    /// <param name="prompts">[B, K, dp] or <see langword="null"/>.</param>
    /// <param name="mask">[B, K]: 1 for a real pair, 0 for padding. A row of zeros gives the no-context summary.</param>
    /// <returns>[B, S].</returns>
    public Tensor Summarize(Tensor chosen, Tensor rejected, Tensor? prompts, Tensor mask)
    {
        if (pairs is null || set is null || summary is null)
        {
            return empty.unsqueeze(0).expand(mask.shape[0], -1);
        }

        // Per-pair features [e_c ; e_r ; e_c - e_r ; prompt], attention-pooled over the set.
        var pooled = set.call(pairs.call(chosen, rejected, prompts), mask);
        var count = mask.sum(1, keepdim: true);
        var encoded = summary.call(cat([pooled, count.log1p()], dim: -1));
        return where(count.gt(ScalarCache.Of(0L)), encoded, empty.unsqueeze(0));
    }

    /// <summary>
    /// The summaries after <see cref="EpisodicTrainerOptions.AdaptationSteps"/> gradient steps fitting each user's context pairs
    /// with the population frozen (the starting summaries themselves when there are no steps).
    /// </summary>
    /// <param name="summaries">Starting summaries [B, S] (<see cref="Summarize"/>).</param>
    /// <param name="chosen">[B, K, d].</param>
    /// <param name="rejected">[B, K, d].</param>
    /// <param name="prompts">[B, K, dp] or <see langword="null"/>.</param>
    /// <param name="weights">Pair weights times the mask [B, K].</param>
    /// <param name="differentiable">Keep the graph (meta-training) or detach each step (adapting users).</param>
    /// <returns>[B, S].</returns>
    public Tensor Adapt(Tensor summaries, Tensor chosen, Tensor rejected, Tensor? prompts, Tensor weights, bool differentiable)
    {
        if (adaptation is null)
        {
            return summaries;
        }

        // The pairs' projection does not depend on the summary: computed once for every step, padding left out.
        var pairs = new PackedContextPairs(head, RewardInputs.Of(chosen, prompts), RewardInputs.Of(rejected, prompts), weights, adaptation.TracksProjection(differentiable));
        return adaptation.Refine(summaries, pairs.Margins, weights, differentiable);
    }

    /// <summary>Margins r(chosen | s) - r(rejected | s) with broadcasting, both sides through the head in one pass.</summary>
    /// <param name="chosen">[..., d].</param>
    /// <param name="rejected">[..., d].</param>
    /// <param name="prompts">[..., dp] or <see langword="null"/>.</param>
    /// <param name="summaries">[..., S], broadcastable against the pairs' leading dimensions.</param>
    /// <returns>The broadcast leading shape.</returns>
    public Tensor Margins(Tensor chosen, Tensor rejected, Tensor? prompts, Tensor summaries) =>
        head.Margins(head.ProjectPairs(RewardInputs.Of(chosen, prompts), RewardInputs.Of(rejected, prompts)), summaries);

    /// <summary>The population summary [S] (cold start, and where adaptation starts without a set encoder).</summary>
    public Tensor EmptySummary => empty;

    /// <summary>Rewards with broadcasting: responses [..., d] (prompts [..., dp]) and summaries [..., S] give [...].</summary>
    public Tensor Rewards(Tensor responses, Tensor? prompts, Tensor summaries) => head.call(RewardInputs.Of(responses, prompts), summaries);

    /// <summary>Every response for every summary: [M, d] x [N, S] -> [M, N].</summary>
    public Tensor RewardMatrix(Tensor responses, Tensor? prompts, Tensor summaries) => head.Matrix(RewardInputs.Of(responses, prompts), summaries);
}
