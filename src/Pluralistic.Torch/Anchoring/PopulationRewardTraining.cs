using TorchSharp;

namespace Pluralistic.Torch;

/// <summary>
/// The two population rewards an anchored run trains, both with the baseline's options
/// (<see cref="PopulationRewardOptions"/>): the anchor users are scored with, trained exactly as the Bradley-Terry
/// baseline is, and the judge the anchor's fit weighs the population by, trained on what the method trained on.
/// </summary>
internal static class PopulationRewardTraining
{
    /// <summary>
    /// The anchor: trained exactly as the baseline is (its shape, schedule, batch, per-user pair split, row order and
    /// initialisation, with the run's seed), in a session of its own, so a user the fit gives no weight of their own
    /// is scored as the baseline scores them and an anchored margin over the baseline is personalisation alone.
    /// </summary>
    /// <param name="data">The run's training data.</param>
    /// <param name="run">The run's options (seed, device, threads).</param>
    /// <param name="shape">The model's shape.</param>
    /// <param name="hiddenSizes">The anchor's hidden widths.</param>
    /// <param name="metrics">Receives the item effects' figures (<see cref="ItemEffectsFit.Attach"/>), or <see langword="null"/>.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained anchor (the caller owns it) and its training report.</returns>
    public static (PopulationAnchor Anchor, TrainingReport Report) AsBaseline(
        PreferenceDataset data, RewardTrainerOptions run, ModelShape shape, IReadOnlyList<int> hiddenSizes, IDictionary<string, double>? metrics, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var options = PopulationRewardOptions.For(run);
        using var session = TrainingSession.Start(data, options);
        var anchor = session.CreateModule(() => new PopulationAnchor(shape.ResponseDimension, shape.PromptDimension, hiddenSizes));
        var report = TrainingLoop.Run(new PopulationAnchor.Objective(anchor, session), options, "anchor", progress, cancellationToken);
        ItemEffectsFit.Attach(anchor, data, session.TrainRecords, session.ValidationRecords, session.Device, metrics, "anchor_");
        session.Release(anchor);
        return (anchor, report);
    }

    /// <summary>
    /// The judge of the anchor's fit: the baseline's options on the pairs the method trained on (and those it keeps
    /// out of its users' states), stopping early on the method's validation pairs. The fit judges the population on
    /// those validation pairs, most of which the anchor (on the baseline's split) learned; the judge learned none.
    /// </summary>
    /// <param name="session">The method's session.</param>
    /// <param name="shape">The model's shape.</param>
    /// <param name="hiddenSizes">The anchor's hidden widths.</param>
    /// <param name="itemEffectStrength">The penalty of the anchor's item effects, or <see langword="null"/> when it has none.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The judge (the caller disposes it).</returns>
    public static PopulationAnchor ForFit(
        TrainingSession session, ModelShape shape, IReadOnlyList<int> hiddenSizes, double? itemEffectStrength, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var options = PopulationRewardOptions.For(session.Options);
        var judge = TorchRuntime.Seeded(session.Seed, () => new PopulationAnchor(shape.ResponseDimension, shape.PromptDimension, hiddenSizes));
        try
        {
            judge.to(session.Device);
            var rows = session.TrainRecords.Concat(session.ExcludedRecords).ToArray();
            new Random(session.Seed).Shuffle(rows);
            using var train = new PairTensors(session.Data, rows, session.Device);
            using var heldOut = session.Validation is null && session.AnchorValidationRecords.Length > 0
                ? new PairTensors(session.Data, session.AnchorValidationRecords, session.Device)
                : null;
            TrainingLoop.Run(new PopulationAnchor.Objective(judge, train, session.Validation ?? heldOut, options.BatchSize), options, "anchor fit: population", progress, cancellationToken);
            // The judge's item effects take the anchor's penalty: chosen on the pairs the fit judges, they would learn
            // from those pairs' labels what the fit must judge without them.
            if (itemEffectStrength is { } strength)
            {
                ItemEffectsFit.Attach(judge, session.Data, rows, [], session.Device, metrics: null, fixedStrength: strength);
            }

            return judge;
        }
        catch
        {
            judge.Dispose();
            throw;
        }
    }
}
