using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// A training objective over labelled pairs: shuffled mini-batches of the training rows, the Bradley-Terry loss
/// <c>-log sigmoid(r_chosen - r_rejected)</c> weighted by example weight (or another pair loss), an optional
/// regulariser, and validation loss and strict accuracy on the validation rows. A method supplies only its rewards.
/// </summary>
/// <remarks>
/// Rewards are usually one column per row ([B]). A mixture (K reward heads, as MaxMin's EM) returns [B, K] rewards and
/// overrides <see cref="LossWeights"/> to give each row's weight per column (example weight times the row's
/// responsibility for that head): the loss is then the responsibility-weighted Bradley-Terry loss of every head, and a
/// row's validation accuracy is the weighted fraction of its columns that rank the pair correctly.
/// </remarks>
public abstract class PairwiseObjective : TrainingObjective
{
    private readonly MiniBatches _batches;

    /// <summary>Creates the objective over a training session's training and validation rows.</summary>
    /// <param name="session">The session (its options give the batch size and shuffling).</param>
    protected PairwiseObjective(TrainingSession session)
        : this(session?.Train!, session?.Validation, session!.Options.BatchSize, session.Options.ReshuffleEveryEpoch)
    {
    }

    /// <summary>Creates the objective.</summary>
    /// <param name="train">Rows to train on.</param>
    /// <param name="validation">Rows to validate on, or <see langword="null"/>.</param>
    /// <param name="batchSize">Pairs per step.</param>
    /// <param name="reshuffleEveryEpoch">Permute rows every epoch, or slice consecutive rows (see <see cref="MiniBatches"/>).</param>
    protected PairwiseObjective(PairTensors train, PairTensors? validation, int batchSize, bool reshuffleEveryEpoch = true)
    {
        Train = train ?? throw new ArgumentNullException(nameof(train));
        Validation = validation;
        _batches = new MiniBatches(train.Count, batchSize, reshuffleEveryEpoch);
    }

    /// <summary>The training rows.</summary>
    protected PairTensors Train { get; }

    /// <summary>The validation rows, if any.</summary>
    protected PairTensors? Validation { get; }

    /// <inheritdoc />
    public override int StepsPerEpoch => _batches.BatchesPerEpoch;

    /// <inheritdoc />
    public override bool HasValidation => Validation is { Count: > 0 };

    /// <inheritdoc />
    public override void BeginEpoch(int epoch, Random random) => _batches.Shuffle(random);

    /// <inheritdoc />
    public override Tensor Loss(int step, Random random)
    {
        PairBatch batch;
        if (_batches.ReshuffleEveryEpoch)
        {
            batch = Train.Gather(_batches.Batch(step));
        }
        else
        {
            var (start, length) = _batches.Range(step);
            batch = Train.Slice(start, length);
        }

        var (chosen, rejected) = Rewards(batch);
        var loss = PairLoss(chosen - rejected, LossWeights(batch));
        var extra = Regularizer(batch, chosen, rejected);
        return extra is null ? loss : loss.Plus(extra);
    }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Validation is null)
        {
            return new ValidationResult(double.NaN, double.NaN);
        }

        double lossSum = 0, weightSum = 0, correct = 0;
        for (var start = 0; start < Validation.Count; start += 8192)
        {
            using var scope = NewDisposeScope();
            var batch = Validation.Slice(start, Math.Min(8192, Validation.Count - start));
            var (chosen, rejected) = Rewards(batch);
            var margin = chosen - rejected;
            var weights = LossWeights(batch);
            var weight = weights.sum().item<float>();
            lossSum += PairLoss(margin, weights).item<float>() * weight;
            weightSum += weight;
            correct += margin.dim() == 1
                ? margin.gt(ScalarCache.Of(0L)).sum().item<long>()
                : (margin.gt(ScalarCache.Of(0L)).to_type(weights.dtype) * weights).sum(1).div(weights.sum(1).clamp_min(ScalarCache.Of(1e-12))).sum().item<float>();
        }

        return new ValidationResult(lossSum / Math.Max(weightSum, 1e-12), correct / Validation.Count);
    }

    /// <summary>The rewards of the chosen and rejected responses of a batch, each [B] (or [B, K], see <see cref="LossWeights"/>).</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>Both reward vectors.</returns>
    protected abstract (Tensor Chosen, Tensor Rejected) Rewards(PairBatch batch);

    /// <summary>
    /// The weight of every loss term: the examples' weights [B] by default. A method whose rewards have K columns
    /// returns [B, K] weights (for a mixture: example weight times the row's responsibility for each head).
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <returns>[B], or [B, K] matching the rewards.</returns>
    protected virtual Tensor LossWeights(PairBatch batch) => batch.Weights;

    /// <summary>The loss of reward margins; default the weighted Bradley-Terry negative log-likelihood.</summary>
    /// <param name="margin">r_chosen - r_rejected, [B] (or [B, K]).</param>
    /// <param name="weights">Loss weights from <see cref="LossWeights"/>, shaped as <paramref name="margin"/>.</param>
    /// <returns>A scalar.</returns>
    protected virtual Tensor PairLoss(Tensor margin, Tensor weights) => WeightedMean((-margin).Softplus(), weights);

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
        return (values * weights).sum() / weights.sum().clamp_min(ScalarCache.Of(1e-12));
    }
}
