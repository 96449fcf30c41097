using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// A training objective over labelled pairs: shuffled mini-batches of records, the Bradley-Terry loss
/// <c>-log sigmoid(r_chosen - r_rejected)</c> weighted by example weight (or another pair loss), an optional
/// regulariser, and validation loss and strict accuracy on held-out records. A method supplies only its rewards.
/// </summary>
public abstract class PairwiseObjective : TrainingObjective
{
    private readonly MiniBatches _batches;
    private readonly int[] _validation;

    /// <summary>Creates the objective.</summary>
    /// <param name="data">The dataset as tensors.</param>
    /// <param name="trainRecords">Records to train on.</param>
    /// <param name="validationRecords">Records to validate on (may be empty).</param>
    /// <param name="batchSize">Pairs per step.</param>
    protected PairwiseObjective(PairTensors data, IReadOnlyList<int> trainRecords, IReadOnlyList<int> validationRecords, int batchSize)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        _batches = new MiniBatches(trainRecords, batchSize);
        _validation = [.. validationRecords];
    }

    /// <summary>The dataset as tensors.</summary>
    protected PairTensors Data { get; }

    /// <inheritdoc />
    public override int StepsPerEpoch => _batches.BatchesPerEpoch;

    /// <inheritdoc />
    public override bool HasValidation => _validation.Length > 0;

    /// <inheritdoc />
    public override void BeginEpoch(int epoch, Random random) => _batches.Shuffle(random);

    /// <inheritdoc />
    public override Tensor Loss(int step, Random random)
    {
        var batch = Data.Gather(_batches.Batch(step));
        var (chosen, rejected) = Rewards(batch);
        var loss = PairLoss(chosen - rejected, batch.Weights);
        var extra = Regularizer(batch, chosen, rejected);
        return extra is null ? loss : loss + extra;
    }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        double lossSum = 0, weightSum = 0, correct = 0;
        for (var start = 0; start < _validation.Length; start += 4096)
        {
            using var scope = NewDisposeScope();
            var batch = Data.Gather(_validation.AsSpan(start, Math.Min(4096, _validation.Length - start)));
            var (chosen, rejected) = Rewards(batch);
            var margin = chosen - rejected;
            var weight = batch.Weights.sum().item<float>();
            lossSum += PairLoss(margin, batch.Weights).item<float>() * weight;
            weightSum += weight;
            correct += margin.gt(0).sum().item<long>();
        }

        return new ValidationResult(lossSum / Math.Max(weightSum, 1e-12), correct / _validation.Length);
    }

    /// <summary>The rewards of the chosen and rejected responses of a batch, each [B].</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>Both reward vectors.</returns>
    protected abstract (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch);

    /// <summary>The loss of reward margins; default the weighted Bradley-Terry negative log-likelihood.</summary>
    /// <param name="margin">r_chosen - r_rejected, [B].</param>
    /// <param name="weights">Example weights, [B].</param>
    /// <returns>A scalar.</returns>
    protected virtual Tensor PairLoss(Tensor margin, Tensor weights) => WeightedMean(nn.functional.softplus(-margin), weights);

    /// <summary>An extra loss term added to every training step (reward centering, KL, ...); default none.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="chosen">Chosen rewards [B].</param>
    /// <param name="rejected">Rejected rewards [B].</param>
    /// <returns>A scalar or <see langword="null"/>.</returns>
    protected virtual Tensor? Regularizer(PairBatch batch, Tensor chosen, Tensor rejected) => null;

    /// <summary>sum(w * x) / sum(w).</summary>
    /// <param name="values">[B].</param>
    /// <param name="weights">[B].</param>
    /// <returns>A scalar.</returns>
    protected static Tensor WeightedMean(Tensor values, Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(weights);
        return (values * weights).sum() / weights.sum().clamp_min(1e-12);
    }
}
