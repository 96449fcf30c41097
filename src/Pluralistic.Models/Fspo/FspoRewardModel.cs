using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// FSPO (few-shot preference optimisation, Singh et al. 2025) in embedding space: a user's state is the summary read
/// from the user's labelled pairs (their most recent <see cref="RewardTrainerOptions.EvidenceCapacity"/>) by
/// meta-trained adaptation steps (<see cref="EpisodicTrainerOptions.AdaptationSteps"/>, optionally starting from a set encoder's
/// reading), and the user's reward is <c>r(response, prompt | summary)</c>. Adapting is deterministic; new pairs
/// re-read the retained ones with them. Cold start uses the learned population summary.
/// </summary>
public sealed class FspoRewardModel : TorchUserRewardModel
{
    /// <summary>The model kind.</summary>
    public const string KindName = "fspo";

    private readonly FspoNetwork _network;

    internal FspoRewardModel(FspoNetwork network, FspoOptions options, TorchModelInfo info, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;
        Options = options;
    }

    private FspoRewardModel(FspoRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
        Options = source.Options;
    }

    /// <summary>The options the model was trained with.</summary>
    public FspoOptions Options { get; }

    /// <summary>The length of a user's state: the context summary.</summary>
    public int SummarySize => _network.SummarySize;

    /// <inheritdoc />
    protected override int StateSize => _network.SummarySize;

    /// <inheritdoc />
    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new FspoRewardModel(this, store);

    /// <inheritdoc />
    internal override IManagedScorer? CreateManagedScorer() => FspoManagedScorer.Create(_network);

    /// <inheritdoc />
    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) => _network.RewardMatrix(responses, prompts, states);

    /// <inheritdoc />
    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) => _network.Rewards(responses, prompts, states);

    /// <inheritdoc />
    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken) =>
        FspoInference.Summaries(_network, evidence, Device, cancellationToken);

    /// <inheritdoc />
    protected override float[] ColdStartState()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _network.EmptySummary.cpu().data<float>().ToArray();
    }

    /// <summary>The states of users from their pairs (for the trainer's seen users).</summary>
    internal float[][] Encode(IReadOnlyList<PreferenceDataset> users, CancellationToken cancellationToken) =>
        FspoInference.Summaries(_network, users, Device, cancellationToken);
}
