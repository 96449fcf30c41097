using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// FSPO's population model: a pair encoder and a self-attention set encoder turn a user's context pairs into a
/// summary s (a learned no-context summary when there are none), and a reward head scores
/// <c>r(response, prompt | s) = MLP([response ; prompt ; s])</c>. Deterministic: no sampling anywhere.
/// </summary>
internal sealed class FspoNetwork : nn.Module
{
    private readonly PairEncoder pairs;
    private readonly SetEncoder set;
    private readonly Mlp summary;
    private readonly Parameter empty;
    private readonly ConditionedRewardHead head;

    public FspoNetwork(int responseDimension, int promptDimension, FspoOptions options)
        : base("fspo")
    {
        ResponseDimension = responseDimension;
        PromptDimension = promptDimension;
        SummarySize = options.SummarySize;
        pairs = new PairEncoder(responseDimension, promptDimension, options.PairHiddenSizes, options.PairFeatures, includeDifference: true, options.Activation, name: "pairs");
        set = new SetEncoder(options.PairFeatures, options.AttentionHeads, name: "set");

        // The pooled features and log(1 + pairs): a mean alone cannot tell one pair from twenty.
        summary = new Mlp(options.PairFeatures + 1, [], options.SummarySize, name: "summary");
        empty = new Parameter(zeros(options.SummarySize));
        head = new ConditionedRewardHead(responseDimension + promptDimension, options.SummarySize, options.HeadHiddenSizes, options.Activation, name: "head");
        RegisterComponents();
    }

    public int ResponseDimension { get; }

    public int PromptDimension { get; }

    public int SummarySize { get; }

    /// <summary>The summary of each set of context pairs.</summary>
    /// <param name="chosen">[B, K, d].</param>
    /// <param name="rejected">[B, K, d].</param>
    /// <param name="prompts">[B, K, dp] or <see langword="null"/>.</param>
    /// <param name="mask">[B, K]: 1 for a real pair, 0 for padding. A row of zeros gives the no-context summary.</param>
    /// <returns>[B, S].</returns>
    public Tensor Summarize(Tensor chosen, Tensor rejected, Tensor? prompts, Tensor mask)
    {
        // Per-pair features [e_c ; e_r ; e_c - e_r ; prompt], attention-pooled over the set.
        var pooled = set.call(pairs.call(chosen, rejected, prompts), mask);
        var count = mask.sum(1, keepdim: true);
        var encoded = summary.call(cat([pooled, count.log1p()], dim: -1));
        return where(count.gt(ScalarCache.Of(0L)), encoded, empty.unsqueeze(0));
    }

    /// <summary>The no-context summary [S] (cold start).</summary>
    public Tensor EmptySummary => empty;

    /// <summary>Rewards with broadcasting: responses [..., d] (prompts [..., dp]) and summaries [..., S] give [...].</summary>
    public Tensor Rewards(Tensor responses, Tensor? prompts, Tensor summaries) => head.call(Inputs(responses, prompts), summaries);

    /// <summary>Every response for every summary: [M, d] x [N, S] -> [M, N].</summary>
    public Tensor RewardMatrix(Tensor responses, Tensor? prompts, Tensor summaries) => head.Matrix(Inputs(responses, prompts), summaries);

    private static Tensor Inputs(Tensor responses, Tensor? prompts) => prompts is null ? responses : cat([responses, prompts], dim: -1);
}
