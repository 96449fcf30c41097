using System.Diagnostics;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// The one training loop of the SDK: AdamW with parameter groups, linear warmup then cosine decay, gradient
/// clipping, a dispose scope around every step, validation after every epoch with early stopping and restore of
/// the best weights, progress reports and cancellation.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Trains <paramref name="objective"/> in place.</summary>
    /// <param name="objective">What to train.</param>
    /// <param name="options">Optimiser, schedule and early-stopping options.</param>
    /// <param name="phase">Name of the phase in progress reports.</param>
    /// <param name="progress">Receives a report after every epoch; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>What happened.</returns>
    public static TrainingReport Run(
        TrainingObjective objective,
        RewardTrainerOptions options,
        string phase = "train",
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var stopwatch = Stopwatch.StartNew();
        var random = new Random(options.Seed ?? 0);
        var module = objective.Module;
        var groups = objective.ParameterGroups(options).ToList();
        var parameters = groups.SelectMany(g => g.Parameters).ToList();
        using var optimizer = new AdamWOptimizer(groups);
        var peakRates = groups.Select(g => g.LearningRate).ToArray();

        var stepsPerEpoch = Math.Max(objective.StepsPerEpoch, 1);
        var totalSteps = options.Epochs * stepsPerEpoch;
        var warmupSteps = (int)Math.Round(options.WarmupFraction * totalSteps);
        var best = new BestWeights();
        var bestEpoch = 0;
        var bestResult = new ValidationResult(double.NaN, double.NaN);
        double trainingLoss = double.NaN;
        var epochsRun = 0;
        var stoppedEarly = false;

        try
        {
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                module.train();
                objective.BeginEpoch(epoch, random);
                double lossSum = 0;
                for (var step = 0; step < stepsPerEpoch; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var factor = LearningRateFactor((epoch * stepsPerEpoch) + step, totalSteps, warmupSteps, options.FinalLearningRateFraction);
                    for (var g = 0; g < peakRates.Length; g++)
                    {
                        optimizer.SetLearningRate(g, peakRates[g] * factor);
                    }

                    using var scope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    var loss = objective.Loss(step, random);
                    loss.backward();
                    if (options.GradientClipNorm > 0)
                    {
                        nn.utils.clip_grad_norm_(parameters, options.GradientClipNorm);
                    }

                    optimizer.Step();
                    lossSum += loss.item<float>();
                }

                epochsRun = epoch + 1;
                trainingLoss = lossSum / stepsPerEpoch;
                var result = new ValidationResult(double.NaN, double.NaN);
                if (objective.HasValidation)
                {
                    result = Validate(objective);
                    if (double.IsNaN(bestResult.Loss) || result.Loss < bestResult.Loss - 1e-6)
                    {
                        bestResult = result;
                        bestEpoch = epochsRun;
                        best.Capture(module);
                    }
                }
                else
                {
                    bestEpoch = epochsRun;
                }

                progress?.Report(new TrainingProgress
                {
                    Phase = phase,
                    Epoch = epochsRun,
                    TotalEpochs = options.Epochs,
                    TrainingLoss = trainingLoss,
                    ValidationLoss = result.Loss,
                    ValidationAccuracy = result.Accuracy,
                    Fraction = (double)epochsRun / options.Epochs,
                });

                if (!double.IsFinite(trainingLoss))
                {
                    throw new PluralisticException($"{phase}: the training loss became {trainingLoss} in epoch {epochsRun}; lower the learning rate");
                }

                if (objective.HasValidation && epochsRun - bestEpoch >= Math.Max(options.EarlyStoppingPatience, 1) && options.EarlyStoppingPatience > 0)
                {
                    stoppedEarly = true;
                    break;
                }
            }

            best.Restore(module);
        }
        finally
        {
            best.Dispose();
            module.eval();
        }

        return new TrainingReport
        {
            EpochsRun = epochsRun,
            BestEpoch = bestEpoch,
            ValidationLoss = bestResult.Loss,
            ValidationAccuracy = bestResult.Accuracy,
            TrainingLoss = trainingLoss,
            StoppedEarly = stoppedEarly,
            Elapsed = stopwatch.Elapsed,
        };
    }

    /// <summary>Linear warmup to 1, then cosine decay to <paramref name="finalFraction"/>.</summary>
    /// <param name="step">0-based global step.</param>
    /// <param name="totalSteps">All steps.</param>
    /// <param name="warmupSteps">Warmup steps.</param>
    /// <param name="finalFraction">The factor at the last step.</param>
    /// <returns>The factor applied to each group's peak learning rate.</returns>
    public static double LearningRateFactor(int step, int totalSteps, int warmupSteps, double finalFraction)
    {
        if (step < warmupSteps)
        {
            return (step + 1.0) / warmupSteps;
        }

        var decaySteps = Math.Max(totalSteps - warmupSteps, 1);
        var progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        return finalFraction + ((1 - finalFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    private static ValidationResult Validate(TrainingObjective objective)
    {
        objective.Module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = objective.Validate();
        objective.Module.train();
        return result;
    }

    /// <summary>A copy of a module's state, kept outside any dispose scope and freed explicitly.</summary>
    private sealed class BestWeights : IDisposable
    {
        private Dictionary<string, Tensor>? _state;

        public void Capture(nn.Module module)
        {
            Dispose();
            using var noGrad = no_grad();

            // The scope frees the detach() views; only the clones are kept (detached from the scope).
            using var scope = NewDisposeScope();
            _state = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        }

        public void Restore(nn.Module module)
        {
            if (_state is null)
            {
                return;
            }

            using var noGrad = no_grad();
            foreach (var (name, value) in module.state_dict())
            {
                value.copy_(_state[name]);
            }
        }

        public void Dispose()
        {
            if (_state is null)
            {
                return;
            }

            foreach (var tensor in _state.Values)
            {
                tensor.Dispose();
            }

            _state = null;
        }
    }
}
