using System.Globalization;
using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Dpa;

/// <summary>
/// Trains DPA on the shared loop. With ratings: stage 1 regresses the standardised ratings (closed-form ridge or an
/// MLP, missing ratings masked), optional stage 2 fine-tunes r(x) on the pairs. Without ratings: K latent objectives
/// and the users' directions are learned jointly from the pairs (a shared low-rank basis, as LoRe). Then, with r(x)
/// frozen, every seen user's direction, the reward scale, the population direction and the prior are fitted.
/// </summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class DpaTrainer(DpaOptions? options = null) : TorchRewardTrainer<DpaOptions, DpaRewardModel>(DpaKind.Instance, options)
{
    /// <inheritdoc />
    protected override TrainedPopulation<DpaOptions> TrainPopulation(
        TrainingSession session, DpaOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var latent = !options.UseRatings || data.ObjectiveNames.Count == 0;
        options = latent ? options with { UseRatings = false } : options;
        var objectives = latent ? LatentNames(options.Objectives) : [.. data.ObjectiveNames];
        var d = data.ResponseDimension;
        var dp = data.PromptDimension;
        var extra = new Dictionary<string, double>(StringComparer.Ordinal);
        DpaNetwork network;
        TrainingReport report;
        if (latent)
        {
            using var joint = session.CreateModule(() => new DpaJointModule(new DpaNetwork(d, dp, objectives.Length, latent: true, options), data.Users.Count));
            SetInputStatistics(joint.Network, session);
            report = TrainingLoop.Run(new JointDirectionObjective(joint, session, null, 0), options, "latent objectives", progress, cancellationToken);
            network = Copy(joint.Network, session, () => new DpaNetwork(d, dp, objectives.Length, latent: true, options));
            StandardizeLatent(network, session);
        }
        else
        {
            (network, report) = FitRatedObjectives(session, options, objectives.Length, extra, progress, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var (states, validationAccuracy) = FitPopulationDirections(network, session, options);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["validation_accuracy"] = validationAccuracy,
            ["reward_scale"] = Math.Round(network.Scale, 6),
            ["prior_concentration"] = Math.Round(network.PriorConcentration, 6),
        };
        foreach (var (name, value) in extra)
        {
            metrics[name] = value;
        }

        return new TrainedPopulation<DpaOptions>
        {
            Network = network,
            Report = report,
            Options = options,
            Metrics = metrics,
            SeenUserStates = states,
            ObjectiveNames = objectives,
        };
    }

    /// <summary>r(chosen) - r(rejected): [P, d] x 2 (+ [P, dp]) -> [P, K]. Call under no_grad in a dispose scope.</summary>
    internal static Tensor Differences(DpaNetwork network, Tensor chosen, Tensor rejected, Tensor? prompts) =>
        Objectives(network, chosen, prompts) - Objectives(network, rejected, prompts);

    /// <summary>r(x) of many responses: [P, d] (+ [P, dp]) -> [P, K], in chunks. Call under no_grad in a dispose scope.</summary>
    internal static Tensor Objectives(DpaNetwork network, Tensor responses, Tensor? prompts)
    {
        var count = responses.shape[0];
        const long Chunk = 8192;
        if (count <= Chunk)
        {
            return network.call(responses, prompts);
        }

        var parts = new List<Tensor>();
        for (long start = 0; start < count; start += Chunk)
        {
            var length = Math.Min(Chunk, count - start);
            parts.Add(network.call(responses.narrow(0, start, length), prompts?.narrow(0, start, length)));
        }

        return cat(parts);
    }

    /// <summary>The rows of a [U, K] tensor as float arrays.</summary>
    internal static float[][] Rows(Tensor matrix)
    {
        var k = (int)matrix.shape[1];
        var values = matrix.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        return Enumerable.Range(0, (int)matrix.shape[0]).Select(u => values.AsSpan(u * k, k).ToArray()).ToArray();
    }

    private static string[] LatentNames(int count) =>
        Enumerable.Range(1, count).Select(i => "latent_" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Stage 1 (and the optional stage 2) when the data carries ratings.</summary>
    private static (DpaNetwork Network, TrainingReport Report) FitRatedObjectives(
        TrainingSession session, DpaOptions options, int objectiveCount, Dictionary<string, double> metrics, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        var d = data.ResponseDimension;
        var dp = data.PromptDimension;
        var (means, stds) = RatingTable.Statistics(data, session.TrainRecords);
        using var train = RatingTable.Create(data, session.TrainRecords, means, stds, session.Device);
        using var validation = session.ValidationRecords.Length > 0 ? RatingTable.Create(data, session.ValidationRecords, means, stds, session.Device) : null;
        var network = session.CreateModule(() => new DpaNetwork(d, dp, objectiveCount, latent: false, options));
        network.SetRatingStatistics(means, stds);
        SetInputStatistics(network, session);
        TrainingReport report;
        if (options.Regression == ObjectiveRegression.Mlp)
        {
            report = TrainingLoop.Run(new RatingRegressionObjective(network, train, validation, options.BatchSize), options, "objectives", progress, cancellationToken);
            metrics["objective_validation_mse"] = report.ValidationLoss;
        }
        else
        {
            var started = DateTime.UtcNow;
            var error = ClosedFormRidge.Fit(network, train, validation, options.RidgePenalty);
            metrics["objective_validation_mse"] = error;
            report = new TrainingReport
            {
                EpochsRun = 0,
                BestEpoch = 0,
                ValidationLoss = error,
                ValidationAccuracy = double.NaN,
                TrainingLoss = double.NaN,
                StoppedEarly = false,
                Elapsed = DateTime.UtcNow - started,
            };
        }

        RecordObjectiveErrors(network, validation ?? train, data.ObjectiveNames, metrics, "objective_mse_");
        if (!options.FineTune)
        {
            return (network, report);
        }

        // Stage 2: start every user from the direction fitted with the regressed objectives, then train r(x) and the
        // directions on the pairs with the rating regression kept as an auxiliary loss.
        var (states, _) = FitPopulationDirections(network, session, options);
        var joint = session.CreateModule(() => new DpaJointModule(network, data.Users.Count));
        using (joint)
        {
            using (NewDisposeScope())
            {
                joint.Initialize(tensor(states.SelectMany(s => s).ToArray(), [states.Count, objectiveCount], ScalarType.Float32, session.Device), network.Scale);
            }

            var fineTune = TrainingLoop.Run(new JointDirectionObjective(joint, session, train, options.FineTuneRatingWeight), options, "fine-tune", progress, cancellationToken);
            var copy = Copy(joint.Network, session, () => new DpaNetwork(d, dp, objectiveCount, latent: false, options));
            metrics["objectives_epochs_run"] = report.EpochsRun;
            RecordObjectiveErrors(copy, validation ?? train, data.ObjectiveNames, metrics, "fine_tuned_objective_mse_");
            return (copy, fineTune);
        }
    }

    /// <summary>Records each objective's mean squared error (in standardised rating units) on a table.</summary>
    private static void RecordObjectiveErrors(DpaNetwork network, RatingTable table, IReadOnlyList<string> names, Dictionary<string, double> metrics, string prefix)
    {
        var errors = table.ObjectiveErrors(network);
        for (var o = 0; o < names.Count; o++)
        {
            metrics[prefix + names[o]] = Math.Round(errors[o], 6);
        }
    }

    /// <summary>
    /// With r(x) frozen: fits every seen user's direction on the training split (alternating with the reward scale),
    /// then the population direction and the prior's concentration, refits with the prior, calibrates the scale on
    /// the validation split and measures it there; finally fits each user's stored direction from all their pairs.
    /// </summary>
    private static (IReadOnlyList<float[]> States, double ValidationAccuracy) FitPopulationDirections(DpaNetwork network, TrainingSession session, DpaOptions options)
    {
        var data = session.Data;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        network.eval();
        var all = new PairTensors(data, session.Device);
        Tensor differences;
        using (all)
        {
            differences = Differences(network, all.Chosen, all.Rejected, all.Prompts);
        }

        var weights = tensor(data.Weights.ToArray(), [data.Count], ScalarType.Float32, session.Device);
        var byUser = data.RecordsByUser();
        var isTrain = new bool[data.Count];
        foreach (var r in session.TrainRecords)
        {
            isTrain[r] = true;
        }

        var trainGroups = byUser.Select(records => records.Where(r => isTrain[r]).ToArray()).ToList();
        var validationGroups = byUser.Select(records => records.Where(r => !isTrain[r]).ToArray()).ToList();
        var (trainDifferences, trainWeights) = DirectionFitter.Pad(differences, weights, trainGroups);
        var iterations = options.DirectionIterations;

        // Directions and scale without a prior first (the scale of a unit direction is not free: it sets how sharp
        // probabilities are), then the population direction and spread from those directions.
        var scale = 1.0;
        Tensor directions = null!;
        for (var round = 0; round < 3; round++)
        {
            directions = DirectionFitter.Fit(trainDifferences, trainWeights, scale, null, 0, iterations);
            scale = DirectionFitter.FitScale(Margins(trainDifferences, directions).reshape(-1), trainWeights.reshape(-1), scale);
        }

        var (estimated, mean) = DirectionFitter.VonMisesFisher(directions);
        var concentration = options.PriorConcentration ?? estimated;
        var meanTensor = tensor(mean, [mean.Length], ScalarType.Float32, session.Device);
        directions = DirectionFitter.Fit(trainDifferences, trainWeights, scale, meanTensor, concentration, iterations);

        var validationAccuracy = double.NaN;
        if (validationGroups.Any(g => g.Length > 0))
        {
            var (validationDifferences, validationWeights) = DirectionFitter.Pad(differences, weights, validationGroups);
            var margins = Margins(validationDifferences, directions);
            scale = DirectionFitter.FitScale(margins.reshape(-1), validationWeights.reshape(-1), scale);
            var present = validationWeights.gt(ScalarCache.Of(0L));
            validationAccuracy = margins.gt(ScalarCache.Of(0L)).logical_and(present).sum().item<long>() / (double)Math.Max(present.sum().item<long>(), 1);
        }

        network.SetPopulation(scale, mean, concentration);
        var (allDifferences, allWeights) = DirectionFitter.Pad(differences, weights, byUser);
        var final = DirectionFitter.Fit(allDifferences, allWeights, scale, meanTensor, concentration, iterations);
        return (Rows(final), validationAccuracy);
    }

    private static Tensor Margins(Tensor paddedDifferences, Tensor directions) =>
        paddedDifferences.bmm(directions.unsqueeze(-1)).squeeze(-1);

    /// <summary>Standardises the network's inputs with the mean and deviation of the training responses (and their prompts).</summary>
    private static void SetInputStatistics(DpaNetwork network, TrainingSession session)
    {
        using var scope = NewDisposeScope();
        var train = session.Train;
        var responses = cat([train.Chosen, train.Rejected]);
        var inputs = RewardInputs.Of(responses, train.Prompts is null ? null : cat([train.Prompts, train.Prompts]));
        network.SetInputStatistics(inputs.mean([0]), inputs.std(0));
    }

    /// <summary>Makes latent objectives comparable: each standardised to mean 0 and deviation 1 over the training responses.</summary>
    private static void StandardizeLatent(DpaNetwork network, TrainingSession session)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        network.eval();
        var train = session.Train;
        var outputs = cat([Objectives(network, train.Chosen, train.Prompts), Objectives(network, train.Rejected, train.Prompts)]);
        network.Standardize(outputs.mean([0]), outputs.std(0).clamp_min(ScalarCache.Of(1e-6)));
    }

    /// <summary>A fresh network (built by <paramref name="factory"/>) holding a copy of <paramref name="source"/>'s weights.</summary>
    private static DpaNetwork Copy(DpaNetwork source, TrainingSession session, Func<DpaNetwork> factory)
    {
        var copy = session.CreateModule(factory);
        using var noGrad = no_grad();
        var state = source.state_dict();
        foreach (var (name, value) in copy.state_dict())
        {
            value.copy_(state[name]);
        }

        copy.eval();
        return copy;
    }
}
