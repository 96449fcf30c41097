namespace Pluralistic;

/// <summary>
/// Trains a population model (and the states of the users in the training data) from labelled pairs: the estimator
/// half of the estimator/model split. A trainer holds options only; <see cref="Fit"/> returns an independent model.
/// </summary>
public interface IUserRewardTrainer
{
    /// <summary>The model kind the trainer produces.</summary>
    string Kind { get; }

    /// <summary>Trains a model.</summary>
    /// <param name="trainingData">Labelled pairs of the seen users.</param>
    /// <param name="progress">Receives progress reports; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained model, holding the seen users' states in memory.</returns>
    IUserRewardModel Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>A progress report from training.</summary>
public sealed record TrainingProgress
{
    /// <summary>What is being done (for example "train", "fit user states", "EM iteration 3").</summary>
    public required string Phase { get; init; }

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; init; }

    /// <summary>The number of epochs planned.</summary>
    public int TotalEpochs { get; init; }

    /// <summary>Training loss of the epoch (mean over its steps).</summary>
    public double TrainingLoss { get; init; } = double.NaN;

    /// <summary>Validation loss after the epoch, when there is a validation split.</summary>
    public double ValidationLoss { get; init; } = double.NaN;

    /// <summary>Validation accuracy after the epoch, when there is a validation split.</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;

    /// <summary>The fraction of the whole job done, in [0, 1].</summary>
    public double Fraction { get; init; }
}
