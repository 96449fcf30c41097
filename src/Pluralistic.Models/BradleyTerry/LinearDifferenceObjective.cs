using System.Numerics;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.BradleyTerry;

/// <summary>
/// The linear head's fast path: with r(x) = w . [x ; prompt] + b, the Bradley-Terry margin is w_x . (chosen -
/// rejected) — prompt weights and bias cancel — so linear BT is logistic regression on the differences. The
/// differences are built once (one pass, in the session's shuffled order) and each step is one matrix-vector
/// product on a slice, instead of two rewards on two gathered batches.
/// </summary>
internal sealed class LinearDifferenceObjective : TrainingObjective, IDisposable
{
    private readonly BradleyTerryNetwork _network;
    private readonly MiniBatches _batches;
    private readonly Tensor _train;
    private readonly Tensor _trainWeights;
    private readonly Tensor? _validation;
    private readonly Tensor? _validationWeights;

    public LinearDifferenceObjective(BradleyTerryNetwork network, TrainingSession session)
    {
        _network = network;
        var data = session.Data;
        (_train, _trainWeights) = Differences(data, session.ShuffledTrainRecords, session.Device);
        if (session.ValidationRecords.Length > 0)
        {
            (_validation, _validationWeights) = Differences(data, session.ValidationRecords, session.Device);
        }

        _batches = new MiniBatches(session.ShuffledTrainRecords.Length, session.Options.BatchSize, session.Options.ReshuffleEveryEpoch);
    }

    public override nn.Module Module => _network;

    public override int StepsPerEpoch => _batches.BatchesPerEpoch;

    public override bool HasValidation => _validation is not null;

    public override void BeginEpoch(int epoch, Random random) => _batches.Shuffle(random);

    public override Tensor Loss(int step, Random random)
    {
        Tensor rows, weights;
        if (_batches.ReshuffleEveryEpoch)
        {
            var index = PairTensors.IndexTensor(_batches.Batch(step), _train.device);
            (rows, weights) = (_train.index_select(0, index), _trainWeights.index_select(0, index));
        }
        else
        {
            var (start, length) = _batches.Range(step);
            (rows, weights) = (_train.narrow(0, start, length), _trainWeights.narrow(0, start, length));
        }

        return WeightedLoss(Margins(rows), weights);
    }

    public override ValidationResult Validate()
    {
        var margins = Margins(_validation!);
        var loss = WeightedLoss(margins, _validationWeights!).item<float>();
        var accuracy = margins.gt(ScalarCache.Of(0L)).sum().item<long>() / (double)margins.shape[0];
        return new ValidationResult(loss, accuracy);
    }

    public void Dispose()
    {
        _train.Dispose();
        _trainWeights.Dispose();
        _validation?.Dispose();
        _validationWeights?.Dispose();
    }

    private Tensor Margins(Tensor differences) => differences.matmul(_network.ResponseWeights.t()).squeeze(-1);

    private static Tensor WeightedLoss(Tensor margins, Tensor weights) =>
        ((-margins).Softplus() * weights).sum() / weights.sum().clamp_min(ScalarCache.Of(1e-12));

    /// <summary>chosen - rejected for the given records, in order, as a [n, d] tensor (and their weights).</summary>
    private static (Tensor Differences, Tensor Weights) Differences(PreferenceDataset data, int[] records, Device device)
    {
        var d = data.ResponseDimension;
        var differences = new float[records.Length * d];
        var weights = new float[records.Length];
        var chosen = data.ChosenVectors;
        var rejected = data.RejectedVectors;
        var allWeights = data.Weights;
        Parallel.For(0, Environment.ProcessorCount, part =>
        {
            var from = (int)((long)records.Length * part / Environment.ProcessorCount);
            var to = (int)((long)records.Length * (part + 1) / Environment.ProcessorCount);
            for (var i = from; i < to; i++)
            {
                var r = records[i];
                Subtract(chosen.Span.Slice(r * d, d), rejected.Span.Slice(r * d, d), differences.AsSpan(i * d, d));
                weights[i] = allWeights.Span[r];
            }
        });

        using var scope = NewDisposeScope();
        return (
            PairTensors.ToTensor(differences, [records.Length, d], CPU).to(device).DetachFromDisposeScope(),
            PairTensors.ToTensor(weights, [records.Length], CPU).to(device).DetachFromDisposeScope());
    }

    private static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(a[i..]) - new Vector<float>(b[i..])).CopyTo(result[i..]);
        }

        for (; i < a.Length; i++)
        {
            result[i] = a[i] - b[i];
        }
    }
}
