using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// What one method trains: its module, its parameter groups and how a mini-batch loss and a validation pass are
/// computed. <see cref="TrainingLoop"/> owns everything else (optimiser, schedule, clipping, dispose scopes,
/// early stopping, progress, cancellation), so every method trains the same way.
/// </summary>
public abstract class TrainingObjective
{
    /// <summary>The module whose parameters are trained (and snapshotted for early stopping).</summary>
    public abstract nn.Module Module { get; }

    /// <summary>Optimisation steps in one epoch.</summary>
    public abstract int StepsPerEpoch { get; }

    /// <summary>Whether <see cref="Validate"/> has data to validate on.</summary>
    public abstract bool HasValidation { get; }

    /// <summary>
    /// The parameter groups with their own learning rates and weight decay (for example PAL's prototypes and user
    /// weights versus its projectors). Default: one group of all parameters.
    /// </summary>
    /// <param name="options">The trainer options.</param>
    /// <returns>The groups.</returns>
    public virtual IEnumerable<ParameterGroup> ParameterGroups(RewardTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [new ParameterGroup(Module.parameters(), options.LearningRate, options.WeightDecay)];
    }

    /// <summary>Called before each epoch (reshuffle here).</summary>
    /// <param name="epoch">0-based epoch.</param>
    /// <param name="random">The training random source.</param>
    public virtual void BeginEpoch(int epoch, Random random)
    {
    }

    /// <summary>The loss of one mini-batch: a scalar tensor. Runs inside the loop's dispose scope, in training mode.</summary>
    /// <param name="step">0-based step within the epoch.</param>
    /// <param name="random">The training random source.</param>
    /// <returns>The scalar loss.</returns>
    public abstract Tensor Loss(int step, Random random);

    /// <summary>Mean loss and accuracy on the validation data. Runs inside a dispose scope, in eval mode, without gradients.</summary>
    /// <returns>The result.</returns>
    public abstract ValidationResult Validate();
}

/// <summary>Parameters sharing one learning rate and weight decay.</summary>
/// <param name="Parameters">The parameters.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="WeightDecay">Decoupled weight decay.</param>
public sealed record ParameterGroup(IEnumerable<TorchSharp.Modules.Parameter> Parameters, double LearningRate, double WeightDecay);

/// <summary>Validation loss and accuracy.</summary>
/// <param name="Loss">Mean loss.</param>
/// <param name="Accuracy">Strict accuracy (p &gt; 0.5), or NaN when it does not apply.</param>
public readonly record struct ValidationResult(double Loss, double Accuracy);

/// <summary>What a training run did.</summary>
public sealed record TrainingReport
{
    /// <summary>Epochs run.</summary>
    public required int EpochsRun { get; init; }

    /// <summary>The epoch whose weights were kept (1-based).</summary>
    public required int BestEpoch { get; init; }

    /// <summary>Validation loss of the kept weights (NaN without validation).</summary>
    public required double ValidationLoss { get; init; }

    /// <summary>Validation accuracy of the kept weights (NaN without validation).</summary>
    public required double ValidationAccuracy { get; init; }

    /// <summary>Mean training loss of the last epoch.</summary>
    public required double TrainingLoss { get; init; }

    /// <summary>Whether early stopping ended training.</summary>
    public required bool StoppedEarly { get; init; }

    /// <summary>Wall-clock time.</summary>
    public required TimeSpan Elapsed { get; init; }
}
