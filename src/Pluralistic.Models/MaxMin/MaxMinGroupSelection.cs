using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// Picks K by held-out likelihood. Every user's pairs are split (a fraction held out, at least one kept); for each K in
/// the range, MaxMin is fitted on the kept pairs, each user's posterior is computed from their kept pairs, and the
/// held-out pairs are scored by the user's predictive likelihood <c>log sum_k posterior_k prod_i p_k(pair_i)</c>.
/// K is the smallest whose held-out log-likelihood is within one standard error (clustered by user, paired) of the best:
/// extra heads that split a group into sub-groups always fit a little better, and the one-standard-error rule keeps
/// only the heads the data clearly support. (BIC does not suit neural heads: their parameter count says little about
/// their effective complexity, and its penalty would always pick K = 1.)
/// </summary>
public static class MaxMinGroupSelection
{
    /// <summary>Selects K for the data with the options' range and hold-out fraction.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="options">The options (<see cref="MaxMinOptions.MinGroups"/>, <see cref="MaxMinOptions.MaxGroups"/>, <see cref="MaxMinOptions.SelectionHoldoutFraction"/> and the training options).</param>
    /// <param name="progress">Progress of every fit.</param>
    /// <param name="cancellationToken">Cancels selection.</param>
    /// <returns>The selected K and every K's score.</returns>
    /// <exception cref="ArgumentException">No K in the range is possible (fewer users than the smallest K).</exception>
    public static GroupSelection Select(PreferenceDataset data, MaxMinOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var largest = Math.Min(options.MaxGroups, data.Users.Count);
        if (largest < options.MinGroups)
        {
            throw new ArgumentException($"cannot select among {options.MinGroups}..{options.MaxGroups} groups with {data.Users.Count} users", nameof(data));
        }

        var (kept, heldOut) = PreferenceSplits.TrainValidation(data, options.SelectionHoldoutFraction, (options.Seed ?? 0) ^ 0x5eed);
        var fitData = data.Select(kept);
        var heldData = data.Select(heldOut);
        var scores = new SortedDictionary<int, GroupSelectionScore>();
        var perUser = new List<double[]>();
        for (var k = options.MinGroups; k <= largest; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (userLogLikelihoods, score) = Score(fitData, heldData, options with { Groups = k }, progress, cancellationToken);
            perUser.Add(userLogLikelihoods.Select(l => -l).ToArray());
            scores[k] = score;
        }

        // The one-standard-error rule clustered by user: the smallest K not clearly worse than the best. A user's
        // held-out pairs are scored jointly (the posterior over groups couples them), so the rule reads users' sums.
        var fitIndex = fitData.Users.Select((user, u) => (user, u)).ToDictionary(x => x.user, x => x.u);
        var heldPairs = new int[fitData.Users.Count];
        foreach (var u in heldData.UserIndices.Span)
        {
            heldPairs[fitIndex[heldData.Users[u]]]++;
        }

        var best = scores.MaxBy(s => s.Value.LogLikelihoodPerPair).Key;
        var selected = options.MinGroups + OneStandardErrorRule.ChooseByUser(perUser, heldPairs);
        return new GroupSelection(selected, best, scores);
    }

    private static (double[] PerUser, GroupSelectionScore Score) Score(
        PreferenceDataset fitData, PreferenceDataset heldData, MaxMinOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var k = options.Groups;
        using var session = TrainingSession.Start(fitData, options);
        var em = MaxMinEm.Run(session, options, progress, cancellationToken);
        using var network = em.Network;
        var users = fitData.Users.Count;
        var fitted = MaxMinMath.UserLogLikelihoods(network, session.Train, users);
        if (session.Validation is { } validation)
        {
            var more = MaxMinMath.UserLogLikelihoods(network, validation, users);
            for (var i = 0; i < fitted.Length; i++)
            {
                fitted[i] += more[i];
            }
        }

        var logPosterior = MaxMinMath.Posterior(fitted, em.LogPrior).Select(p => Math.Log(Math.Max(p, 1e-300))).ToArray();

        // Held-out pairs, indexed by the fitted data's users (every held-out user has kept pairs).
        var fitIndex = fitData.Users.Select((user, u) => (user, u)).ToDictionary(x => x.user, x => x.u);
        using var held = new PairTensors(heldData, session.Device);
        using var scope = NewDisposeScope();
        var heldUsers = tensor(heldData.UserIndices.ToArray().Select(u => (long)fitIndex[heldData.Users[u]]).ToArray(), ScalarType.Int64, session.Device);
        var heldLogLikelihoods = MaxMinMath.UserLogLikelihoods(network, held.Chosen, held.Rejected, held.Prompts, held.Weights, heldUsers, users);
        var perUser = MaxMinMath.LogSumExp(logPosterior, heldLogLikelihoods, k);
        var score = new GroupSelectionScore(perUser.Sum() / Math.Max(heldData.Count, 1), em.Iterations, em.LogLikelihoodPerPair[^1]);
        return (perUser, score);
    }
}

/// <summary>The outcome of selecting K.</summary>
/// <param name="Groups">The selected K (the smallest within one standard error of the best).</param>
/// <param name="BestGroups">The K with the highest held-out log-likelihood.</param>
/// <param name="Scores">Every K's score.</param>
public sealed record GroupSelection(int Groups, int BestGroups, IReadOnlyDictionary<int, GroupSelectionScore> Scores);

/// <summary>One K's score.</summary>
/// <param name="LogLikelihoodPerPair">Held-out predictive log-likelihood per held-out pair.</param>
/// <param name="Iterations">EM iterations run.</param>
/// <param name="TrainingLogLikelihoodPerPair">The training log-likelihood per pair at the end of EM.</param>
public sealed record GroupSelectionScore(double LogLikelihoodPerPair, int Iterations, double TrainingLogLikelihoodPerPair);
