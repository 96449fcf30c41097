using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>
/// The Bradley-Terry baseline: one reward for every user, <c>P(a &gt; b) = sigmoid(r(a) - r(b))</c>. The bar every
/// personalised method must clear. Users still have (empty) states so that the run knows who it has seen.
/// </summary>
public sealed class BradleyTerryRewardModel : TorchUserRewardModel
{
    /// <summary>The model kind.</summary>
    public const string KindName = "bt";

    private readonly BradleyTerryNetwork _network;

    internal BradleyTerryRewardModel(BradleyTerryNetwork network, TorchModelInfo info, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;
    }

    private BradleyTerryRewardModel(BradleyTerryRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
    }

    /// <inheritdoc />
    protected override int StateSize => 0;

    /// <inheritdoc />
    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new BradleyTerryRewardModel(this, store);

    /// <inheritdoc />
    internal override IManagedScorer? CreateManagedScorer() => BradleyTerryManagedScorer.Create(_network);

    /// <inheritdoc />
    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states)
    {
        var rewards = _network.call(responses, prompts);
        return rewards.unsqueeze(1).expand(rewards.shape[0], states.shape[0]);
    }

    /// <inheritdoc />
    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) => _network.call(responses, prompts);

    /// <inheritdoc />
    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken) =>
        evidence.Select(_ => Array.Empty<float>()).ToArray();

    /// <inheritdoc />
    protected override float[] ColdStartState() => [];
}
