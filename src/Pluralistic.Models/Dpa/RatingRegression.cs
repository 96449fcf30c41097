using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Dpa;

/// <summary>
/// The rated responses of some records as tensors: every chosen and rejected response (with its prompt) that has at
/// least one rating, its standardised ratings (0 where missing) and a mask of the ratings present, weighted by the
/// record's weight.
/// </summary>
internal sealed class RatingTable : IDisposable
{
    private RatingTable(Tensor inputs, Tensor targets, Tensor mask)
    {
        Inputs = inputs;
        Targets = targets;
        Mask = mask;
    }

    /// <summary>[R, d + dp] responses with their prompts.</summary>
    public Tensor Inputs { get; }

    /// <summary>[R, K] standardised ratings, 0 where missing.</summary>
    public Tensor Targets { get; }

    /// <summary>[R, K] weight of each rating: the record's weight where the rating is present, 0 where missing.</summary>
    public Tensor Mask { get; }

    /// <summary>Rows.</summary>
    public int Count => (int)Inputs.shape[0];

    /// <summary>
    /// The mean of each objective's ratings over the given records' responses, and one spread shared by all objectives
    /// (the root mean of their variances). The spread is shared because a direction weighs the objectives on the scale
    /// they were rated on: dividing each by its own deviation would stretch the axes and change what a named direction
    /// such as <c>helpfulness: 1, verbosity: -0.5</c> ranks first.
    /// </summary>
    public static (float[] Means, float[] Stds) Statistics(PreferenceDataset data, IReadOnlyList<int> records)
    {
        var k = data.ObjectiveNames.Count;
        var sum = new double[k];
        var sumSquares = new double[k];
        var count = new long[k];
        var chosen = data.ChosenAttributes.Span;
        var rejected = data.RejectedAttributes.Span;
        foreach (var r in records)
        {
            for (var o = 0; o < k; o++)
            {
                foreach (var value in (ReadOnlySpan<float>)[chosen[(r * k) + o], rejected[(r * k) + o]])
                {
                    if (!float.IsNaN(value))
                    {
                        sum[o] += value;
                        sumSquares[o] += (double)value * value;
                        count[o]++;
                    }
                }
            }
        }

        var means = new float[k];
        var stds = new float[k];
        var variances = 0.0;
        for (var o = 0; o < k; o++)
        {
            if (count[o] == 0)
            {
                throw new PluralisticException(
                    $"objective '{data.ObjectiveNames[o]}' has no rating in the training split; DPA regresses every named objective (set UseRatings = false to learn latent objectives instead)");
            }

            var mean = sum[o] / count[o];
            var variance = Math.Max((sumSquares[o] / count[o]) - (mean * mean), 0);
            means[o] = (float)mean;
            variances += variance;
        }

        var pooled = variances / k > 1e-12 ? (float)Math.Sqrt(variances / k) : 1f;
        Array.Fill(stds, pooled);

        return (means, stds);
    }

    /// <summary>Builds the table of the given records on a device.</summary>
    public static RatingTable Create(PreferenceDataset data, IReadOnlyList<int> records, float[] means, float[] stds, Device device)
    {
        var k = data.ObjectiveNames.Count;
        var d = data.ResponseDimension;
        var dp = data.PromptDimension;
        var width = d + dp;
        var inputs = new List<float>(records.Count * 2 * width);
        var targets = new List<float>(records.Count * 2 * k);
        var mask = new List<float>(records.Count * 2 * k);
        var chosenRatings = data.ChosenAttributes;
        var rejectedRatings = data.RejectedAttributes;
        foreach (var r in records)
        {
            Add(data.ChosenVector(r), data.PromptVector(r), chosenRatings.Span.Slice(r * k, k), data.WeightAt(r));
            Add(data.RejectedVector(r), data.PromptVector(r), rejectedRatings.Span.Slice(r * k, k), data.WeightAt(r));
        }

        var rows = mask.Count / Math.Max(k, 1);
        using var scope = NewDisposeScope();
        return new RatingTable(
            tensor(inputs.ToArray(), [rows, width], ScalarType.Float32, device).DetachFromDisposeScope(),
            tensor(targets.ToArray(), [rows, k], ScalarType.Float32, device).DetachFromDisposeScope(),
            tensor(mask.ToArray(), [rows, k], ScalarType.Float32, device).DetachFromDisposeScope());

        void Add(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt, ReadOnlySpan<float> ratings, float weight)
        {
            var any = false;
            foreach (var value in ratings)
            {
                any |= !float.IsNaN(value);
            }

            if (!any || weight <= 0)
            {
                return;
            }

            foreach (var x in response)
            {
                inputs.Add(x);
            }

            foreach (var x in prompt)
            {
                inputs.Add(x);
            }

            for (var o = 0; o < ratings.Length; o++)
            {
                var missing = float.IsNaN(ratings[o]);
                targets.Add(missing ? 0 : (ratings[o] - means[o]) / stds[o]);
                mask.Add(missing ? 0 : weight);
            }
        }
    }

    /// <summary>Per objective, the weighted mean squared error of the network's predictions on this table (NaN where no rating).</summary>
    public double[] ObjectiveErrors(DpaNetwork network)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var k = network.ObjectiveCount;
        var sums = zeros([k], ScalarType.Float64, Inputs.device);
        for (var start = 0; start < Count; start += 8192)
        {
            var length = Math.Min(8192, Count - start);
            var error = (network.call(Inputs.narrow(0, start, length), null) - Targets.narrow(0, start, length)).Squared() * Mask.narrow(0, start, length);
            sums.PlusInPlace(error.sum([0]).to(ScalarType.Float64));
        }

        var totals = sums.cpu().data<double>().ToArray();
        var weights = Mask.sum([0]).to(ScalarType.Float64).cpu().data<double>().ToArray();
        return totals.Select((t, o) => weights[o] > 0 ? t / weights[o] : double.NaN).ToArray();
    }

    /// <summary>The masked mean squared error of predictions [R, K] against the targets (a scalar).</summary>
    public static Tensor MaskedMse(Tensor predictions, Tensor targets, Tensor mask) =>
        ((predictions - targets).Squared() * mask).sum() / mask.sum().clamp_min(ScalarCache.Of(1e-12));

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        Mask.Dispose();
    }
}

/// <summary>
/// Stage 1 in closed form: per objective, ridge regression from the network's features (the raw embedding, or random
/// tanh features of it) to the standardised ratings, missing ratings masked, with an unpenalised bias. The penalty is
/// picked per objective on the validation rows unless the options fix it. The solution is written into the output layer.
/// </summary>
internal static class ClosedFormRidge
{
    private static readonly double[] PenaltyGrid = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

    /// <summary>Fits the output layer; returns the validation mean squared error (NaN without validation rows).</summary>
    public static double Fit(DpaNetwork network, RatingTable train, RatingTable? validation, double? penalty)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var features = WithBias(network.Features(train.Inputs, null));
        var validationFeatures = validation is { Count: > 0 } ? WithBias(network.Features(validation.Inputs, null)) : null;
        var f = features.shape[1];
        var k = network.ObjectiveCount;
        var identity = eye(f, dtype: ScalarType.Float64, device: features.device);
        identity[f - 1, f - 1] = tensor(0.0, ScalarType.Float64);
        var solutions = new List<Tensor>(k);
        double validationError = 0, validationWeight = 0;
        for (var o = 0; o < k; o++)
        {
            var weight = train.Mask[.., o].to(ScalarType.Float64);
            var target = train.Targets[.., o].to(ScalarType.Float64);
            var weightedFeatures = features * weight.unsqueeze(1);
            var gram = weightedFeatures.t().matmul(features);
            var moment = weightedFeatures.t().matmul(target);
            var ratings = weight.sum().item<double>();
            Tensor? best = null;
            var bestError = double.PositiveInfinity;
            foreach (var lambda in penalty is { } fixedPenalty ? [fixedPenalty] : PenaltyGrid)
            {
                var solution = linalg.solve(gram.Plus(identity.Times(lambda * Math.Max(ratings, 1))), moment);
                if (validationFeatures is null)
                {
                    best = solution;
                    break;
                }

                var error = WeightedError(validationFeatures.matmul(solution), validation!.Targets[.., o], validation.Mask[.., o]);
                if (error < bestError)
                {
                    (best, bestError) = (solution, error);
                }
            }

            solutions.Add(best!);
            if (validationFeatures is not null)
            {
                var w = validation!.Mask[.., o].sum().item<float>();
                validationError += bestError * w;
                validationWeight += w;
            }
        }

        var stacked = stack(solutions).to(ScalarType.Float32);
        var layer = network.OutputLayer;
        layer.weight!.copy_(stacked.narrow(1, 0, f - 1));
        layer.bias!.copy_(stacked[.., f - 1]);
        return validationWeight > 0 ? validationError / validationWeight : double.NaN;
    }

    private static Tensor WithBias(Tensor features) =>
        cat([features.to(ScalarType.Float64), ones([features.shape[0], 1], ScalarType.Float64, features.device)], dim: 1);

    private static double WeightedError(Tensor predictions, Tensor targets, Tensor weights)
    {
        var w = weights.to(ScalarType.Float64);
        return ((predictions - targets.to(ScalarType.Float64)).Squared() * w).sum().item<double>() / Math.Max(w.sum().item<double>(), 1e-12);
    }
}

/// <summary>Stage 1 as an MLP: mini-batches of rated responses, masked mean squared error, validation on held-out users' pairs.</summary>
internal sealed class RatingRegressionObjective : TrainingObjective
{
    private readonly DpaNetwork _network;
    private readonly RatingTable _train;
    private readonly RatingTable? _validation;
    private readonly MiniBatches _batches;

    public RatingRegressionObjective(DpaNetwork network, RatingTable train, RatingTable? validation, int batchSize)
    {
        _network = network;
        _train = train;
        _validation = validation;
        _batches = new MiniBatches(train.Count, batchSize);
    }

    public override nn.Module Module => _network;

    public override int StepsPerEpoch => _batches.BatchesPerEpoch;

    public override bool HasValidation => _validation is { Count: > 0 };

    public override void BeginEpoch(int epoch, Random random) => _batches.Shuffle(random);

    public override Tensor Loss(int step, Random random)
    {
        var index = PairTensors.IndexTensor(_batches.Batch(step), _train.Inputs.device);
        return RatingTable.MaskedMse(
            _network.call(_train.Inputs.index_select(0, index), null), _train.Targets.index_select(0, index), _train.Mask.index_select(0, index));
    }

    public override ValidationResult Validate()
    {
        double sum = 0, weight = 0;
        var v = _validation!;
        for (var start = 0; start < v.Count; start += 8192)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(8192, v.Count - start);
            var mask = v.Mask.narrow(0, start, length);
            var w = mask.sum().item<float>();
            sum += RatingTable.MaskedMse(_network.call(v.Inputs.narrow(0, start, length), null), v.Targets.narrow(0, start, length), mask).item<float>() * w;
            weight += w;
        }

        return new ValidationResult(sum / Math.Max(weight, 1e-12), double.NaN);
    }
}
