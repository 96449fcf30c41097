using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// Trains MaxMin: an EM mixture of K Bradley-Terry heads on the shared training loop (see <see cref="MaxMinEm"/>),
/// with K given or selected by held-out likelihood (<see cref="MaxMinOptions.AutoGroups"/>). Seen users' states are
/// their posteriors over the heads given all their pairs.
/// </summary>
/// <param name="options">The options; <see langword="null"/> for defaults.</param>
public sealed class MaxMinTrainer(MaxMinOptions? options = null) : TorchRewardTrainer<MaxMinOptions, MaxMinRewardModel>(MaxMinKind.Instance, options)
{
    /// <summary>Records sampled (evenly spaced) for the heads' reward statistics.</summary>
    private const int StatisticsSample = 4096;

    /// <inheritdoc />
    /// <remarks>Progress comes as one phase per EM iteration, and per K tried by automatic selection.</remarks>
    protected override TrainedPopulation<MaxMinOptions> TrainPopulation(
        TrainingSession session, MaxMinOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var data = session.Data;
        GroupSelection? selection = null;
        if (options.IsAutoGroups)
        {
            selection = MaxMinGroupSelection.Select(data, options, progress, cancellationToken);
            options = options with { Groups = selection.Groups };
        }

        var em = MaxMinEm.Run(session, options, progress, cancellationToken);
        var network = em.Network;
        var k = options.Groups;
        var users = data.Users.Count;

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
        var (mean, std) = RewardStatistics(network, data, session.Device);
        network.SetStatistics(shares.Select(s => (float)s).ToArray(), mean, std);

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["groups"] = k,
            ["em_iterations"] = em.Iterations,
            ["em_converged"] = em.Converged ? 1 : 0,
            ["em_log_likelihood_per_pair"] = em.LogLikelihoodPerPair[^1],
            ["em_users_moved_last"] = em.UsersMoved[^1],
        };
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

        return new TrainedPopulation<MaxMinOptions>
        {
            Network = network,
            Report = em.LastReport,
            Options = options,
            Metrics = metrics,
            SeenUserStates = Enumerable.Range(0, users).Select(u => Row(posterior, u, k)).ToList(),
        };
    }

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
