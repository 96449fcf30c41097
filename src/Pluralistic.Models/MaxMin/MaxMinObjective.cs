using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// EM's M-step as one training objective for all K heads at once: every pair is scored by every head and each head's
/// Bradley-Terry loss is weighted by the pair's user's responsibility for that head (one-hot after a hard E-step), so
/// one run of the shared training loop retrains every head on its own users' pairs. Each head's terms are also
/// divided by the head's share of the training weight, so the loss (and the validation loss that stops training) is
/// the mean over heads of each head's own mean loss: a head with few users is trained and early-stopped as if alone,
/// not stopped when the large groups' heads stop improving. With independent heads this changes the optimisation,
/// not the optimum of each head; with a shared trunk it weighs the groups equally in the trunk.
/// </summary>
internal sealed class MaxMinObjective : PairwiseObjective, IDisposable
{
    private readonly MaxMinNetwork _network;
    private readonly Tensor _responsibilities;

    /// <param name="network">The heads.</param>
    /// <param name="session">The session (training and validation rows).</param>
    /// <param name="responsibilities">Row-major [users, K] responsibilities, users in the session data's order.</param>
    public MaxMinObjective(MaxMinNetwork network, TrainingSession session, double[] responsibilities)
        : this(network, session.Train, session.Validation, session.Options, responsibilities)
    {
    }

    /// <param name="network">The heads.</param>
    /// <param name="train">Rows to train on.</param>
    /// <param name="validation">Rows to validate on, or <see langword="null"/>.</param>
    /// <param name="options">Batch size and shuffling.</param>
    /// <param name="responsibilities">Row-major [users, K] responsibilities, users in the rows' data's order.</param>
    public MaxMinObjective(MaxMinNetwork network, PairTensors train, PairTensors? validation, RewardTrainerOptions options, double[] responsibilities)
        : base(train, validation, options.BatchSize, options.ReshuffleEveryEpoch)
    {
        _network = network;
        using var scope = NewDisposeScope();
        var k = network.Groups;
        var r = tensor(responsibilities.Select(v => (float)v).ToArray(), [responsibilities.Length / k, k]).to(train.Device);

        // Each head's share of the training rows' weight; dividing by it gives every head its own mean loss.
        // (sum(dim: 0): a bare sum(0) binds to sum(ScalarType) and sums everything into a byte.)
        var mass = (train.Weights.unsqueeze(1) * r.index_select(0, train.Users)).sum(dim: 0);
        var scale = mass.sum() / mass.clamp_min(ScalarCache.Of(1e-6)).mul(ScalarCache.Of(k)) * mass.gt(ScalarCache.Of(1e-6)).to_type(mass.dtype);
        _responsibilities = (r * scale.unsqueeze(0)).DetachFromDisposeScope();
    }

    public override nn.Module Module => _network;

    public void Dispose() => _responsibilities.Dispose();

    protected override (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch) => _network.Pair(batch.Chosen, batch.Rejected, batch.Prompts);

    protected override Tensor LossWeights(PairBatch batch) =>
        batch.Weights.unsqueeze(1) * _responsibilities.index_select(0, batch.Users);
}
