using Pluralistic.Torch;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// K Bradley-Terry reward heads over <c>[response ; prompt]</c>, evaluated together ([B] rows to [B, K] rewards), plus
/// what the population needs besides the heads: the group prior and each head's reward mean and standard deviation
/// over the training responses (for normalised aggregation). All of it is in the weights file.
/// </summary>
internal sealed class MaxMinNetwork : nn.Module<Tensor, Tensor?, Tensor>
{
    // Field names are the weights' file format.
    private readonly nn.Module<Tensor, Tensor> heads;
    private readonly Tensor prior;
    private readonly Tensor reward_mean;
    private readonly Tensor reward_std;
    private readonly bool parallel;

    public MaxMinNetwork(int responseDimension, int promptDimension, int groups, MaxMinOptions options)
        : base("maxmin")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        Groups = groups;
        var inputs = responseDimension + promptDimension;
        var hidden = options.Head == RewardHead.Linear ? [] : options.HiddenSizes;

        // A shared trunk is one MLP with K outputs (its last hidden layer feeds K linear heads); linear heads are that too.
        parallel = !options.SharedTrunk && hidden.Count > 0;
        heads = parallel
            ? new ParallelMlp(groups, inputs, hidden, 1, options.Activation, options.Dropout, name: "heads")
            : new Mlp(inputs, hidden, groups, options.Activation, options.Dropout, name: "heads");
        prior = full(groups, ScalarCache.Of((double)(1.0f / groups)));
        reward_mean = zeros(groups);
        reward_std = ones(groups);
        RegisterComponents();
    }

    /// <summary>K.</summary>
    public int Groups { get; }

    /// <summary>The group prior (shares of the training population) [K].</summary>
    public Tensor Prior => prior;

    /// <summary>Each head's reward mean over the training responses [K].</summary>
    public Tensor RewardMean => reward_mean;

    /// <summary>Each head's reward standard deviation over the training responses [K].</summary>
    public Tensor RewardStd => reward_std;

    /// <summary>Every head's reward of responses [B, d] (with prompts [B, dp]) as [B, K].</summary>
    public override Tensor forward(Tensor responses, Tensor? prompts)
    {
        var x = RewardInputs.Of(responses, prompts);
        var rewards = heads.call(x);
        return parallel ? rewards.squeeze(-1) : rewards;
    }

    /// <summary>The heads' rewards of both sides of pairs in one pass: ([B, K], [B, K]).</summary>
    public (Tensor Chosen, Tensor Rejected) Pair(Tensor chosen, Tensor rejected, Tensor? prompts)
    {
        var n = chosen.shape[0];
        var both = forward(cat([chosen, rejected]), prompts is null ? null : cat([prompts, prompts]));
        return (both.narrow(0, 0, n), both.narrow(0, n, n));
    }

    /// <summary>Per pair and head, the weighted Bradley-Terry log-likelihood <c>w log sigmoid(r_c - r_r)</c> [B, K].</summary>
    public Tensor PairLogLikelihood(Tensor chosen, Tensor rejected, Tensor? prompts, Tensor weights)
    {
        var (rc, rr) = Pair(chosen, rejected, prompts);
        return nn.functional.logsigmoid(rc - rr) * weights.unsqueeze(1);
    }

    /// <summary>Writes the population statistics into the buffers.</summary>
    public void SetStatistics(float[] groupPrior, float[] mean, float[] std)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        prior.copy_(tensor(groupPrior).to(prior.device));
        reward_mean.copy_(tensor(mean).to(reward_mean.device));
        reward_std.copy_(tensor(std).to(reward_std.device));
    }
}
