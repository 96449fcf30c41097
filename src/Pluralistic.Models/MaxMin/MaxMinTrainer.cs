using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// Trains MaxMin: an EM mixture of K Bradley-Terry heads on the shared training loop (see <see cref="MaxMinEm"/>),
/// with K given or selected by held-out likelihood (<see cref="MaxMinOptions.AutoGroups"/>). Seen users' states are
/// their posteriors over the heads given all their pairs.
/// </summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class MaxMinTrainer(MaxMinOptions? options = null) : IUserRewardTrainer
{
    /// <summary>Records sampled (evenly spaced) for the heads' reward statistics.</summary>
    private const int StatisticsSample = 4096;

    /// <summary>The options.</summary>
    public MaxMinOptions Options { get; } = options ?? new MaxMinOptions();

    /// <inheritdoc />
    public string Kind => MaxMinRewardModel.KindName;

    /// <summary>Trains the model.</summary>
    /// <param name="trainingData">The pairs.</param>
    /// <param name="progress">Progress reports (one phase per EM iteration, and per K tried by automatic selection).</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The model, with the seen users' posteriors in memory.</returns>
    public MaxMinRewardModel Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainingData);
        Options.Validate();
        var options = Options;
        GroupSelection? selection = null;
        if (options.IsAutoGroups)
        {
            selection = MaxMinGroupSelection.Select(trainingData, options, progress, cancellationToken);
            options = options with { Groups = selection.Groups };
        }

        using var session = TrainingSession.Start(trainingData, options);
        var em = MaxMinEm.Run(session, options, progress, cancellationToken);
        var network = em.Network;
        MaxMinRewardModel? model = null;
        try
        {
            var k = options.Groups;
            var users = trainingData.Users.Count;

            // A seen user's state: the posterior given all their pairs (training and validation rows).
            var logLikelihoods = MaxMinMath.UserLogLikelihoods(network, session.Train, users);
            if (session.Validation is { } validation)
            {
                var held = MaxMinMath.UserLogLikelihoods(network, validation, users);
                for (var i = 0; i < held.Length; i++)
                {
                    logLikelihoods[i] += held[i];
                }
            }

            var posterior = MaxMinMath.Posterior(logLikelihoods, em.LogPrior);
            var shares = MaxMinMath.Shares(posterior, k);
            var (mean, std) = RewardStatistics(network, trainingData, session.Device);
            network.SetStatistics(shares.Select(s => (float)s).ToArray(), mean, std);

            var metrics = session.Metrics(em.LastReport);
            metrics["groups"] = k;
            metrics["em_iterations"] = em.Iterations;
            metrics["em_converged"] = em.Converged ? 1 : 0;
            metrics["em_log_likelihood_per_pair"] = em.LogLikelihoodPerPair[^1];
            metrics["em_users_moved_last"] = em.UsersMoved[^1];
            for (var g = 0; g < k; g++)
            {
                metrics[$"group_share_{g}"] = shares[g];
            }

            if (selection is not null)
            {
                metrics["groups_selected_automatically"] = 1;
                foreach (var (groups, score) in selection.Scores)
                {
                    metrics[$"selection_heldout_log_likelihood_k{groups}"] = score.LogLikelihoodPerPair;
                }
            }

            var info = Describe(trainingData.ResponseDimension, trainingData.PromptDimension, options) with
            {
                Seed = options.Seed,
                TrainingData = session.DataInfo,
                Metrics = metrics,
            };
            model = new MaxMinRewardModel(network, info, new InMemoryUserStateStore(), session.Device, ownsStore: true);
            session.StoreSeenUserStates(model, Enumerable.Range(0, users).Select(u => Row(posterior, u, k)).ToList());
            return model;
        }
        catch
        {
            if (model is null)
            {
                network.Dispose();
            }
            else
            {
                model.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    IUserRewardModel IUserRewardTrainer.Fit(PreferenceDataset trainingData, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        Fit(trainingData, progress, cancellationToken);

    internal static TorchModelInfo Describe(RunManifest manifest, MaxMinOptions options) =>
        Describe(manifest.ResponseDimension, manifest.PromptDimension, options).FromManifest(manifest);

    private static TorchModelInfo Describe(int responseDimension, int promptDimension, MaxMinOptions options) => new()
    {
        Kind = MaxMinRewardModel.KindName,
        ResponseDimension = responseDimension,
        PromptDimension = promptDimension,
        IsPersonalized = true,
        Options = ModelOptionsJson.Write(options, ModelOptionsJson.Default.MaxMinOptions),
        EvidenceCapacity = options.EvidenceCapacity,
        Description = $"MaxMin: {options.Groups} Bradley-Terry heads, {options.EStep.ToString().ToLowerInvariant()} EM, "
            + (options.Head == BradleyTerry.RewardHead.Linear
                ? "linear"
                : $"{(options.SharedTrunk ? "shared MLP trunk" : "MLP heads")} [{string.Join(", ", options.HiddenSizes)}]"),
    };

    private static float[] Row(double[] values, int row, int k) => values.AsSpan(row * k, k).ToArray().Select(v => (float)v).ToArray();

    /// <summary>
    /// Every head's reward mean and standard deviation over the training responses (both sides of up to 4096 evenly
    /// spaced records): the reference set of normalised aggregation.
    /// </summary>
    private static (float[] Mean, float[] Std) RewardStatistics(MaxMinNetwork network, PreferenceDataset data, Device device)
    {
        var count = Math.Min(data.Count, StatisticsSample);
        var sample = Enumerable.Range(0, count).Select(i => (int)((long)i * data.Count / count)).ToArray();
        using var tensors = new PairTensors(data, sample, device);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (chosen, rejected) = network.Pair(tensors.Chosen, tensors.Rejected, tensors.Prompts);
        var rewards = cat([chosen, rejected]);
        return (rewards.mean([0]).cpu().data<float>().ToArray(), rewards.std(dim: 0).clamp_min(ScalarCache.Of(1e-6)).cpu().data<float>().ToArray());
    }
}
