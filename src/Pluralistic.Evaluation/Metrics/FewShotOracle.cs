namespace Pluralistic.Evaluation;

/// <summary>A user's hidden true reward of a response (for a synthetic population, <c>population.TrueReward</c>).</summary>
/// <param name="user">The user.</param>
/// <param name="response">The response vector.</param>
/// <param name="prompt">The prompt vector (empty without prompts).</param>
/// <returns>The reward; a reward difference is the Bradley-Terry logit of the user's label.</returns>
public delegate double TrueUserReward(UserId user, ReadOnlySpan<float> response, ReadOnlySpan<float> prompt);

/// <summary>
/// What a perfect model of a known population could do for a new user from k context pairs: exact Bayesian inference
/// with the known users as the prior. Each known user's true reward is a hypothesis, weighted by the likelihood of the
/// new user's context labels under Bradley-Terry; queries are predicted by the weighted mean of the hypotheses'
/// probabilities. It puts few-shot targets in context: it is what a model that had learned every known user exactly
/// would reach; a model that learns them from their pairs goes beyond it only by generalising between them (a smooth
/// prior), and a small known population makes it a low reference.
/// </summary>
public static class FewShotOracle
{
    /// <summary>
    /// Accuracy on each user's queries (the records after the user's first <paramref name="contextPairs"/>, the same
    /// split as <see cref="RewardModelEvaluator"/>) of the Bayes predictor over <paramref name="population"/>.
    /// </summary>
    /// <param name="data">New users' pairs, in record order.</param>
    /// <param name="contextPairs">k, the context records per user.</param>
    /// <param name="population">The known users whose true rewards form the prior (equally likely a priori).</param>
    /// <param name="trueReward">True rewards of the known users.</param>
    /// <returns>The accuracy (ties count as wrong), or NaN when no user has a query.</returns>
    public static double BayesOverPopulation(PreferenceDataset data, int contextPairs, IReadOnlyList<UserId> population, TrueUserReward trueReward)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(population);
        ArgumentNullException.ThrowIfNull(trueReward);
        ArgumentOutOfRangeException.ThrowIfNegative(contextPairs);
        if (population.Count == 0)
        {
            throw new ArgumentException("the population is empty", nameof(population));
        }

        var userIndex = data.UserIndices.Span;
        var records = new List<int>[data.Users.Count];
        for (var i = 0; i < data.Count; i++)
        {
            (records[userIndex[i]] ??= []).Add(i);
        }

        int correct = 0, queries = 0;
        var margins = new double[population.Count];
        var logWeights = new double[population.Count];
        foreach (var user in records.Where(r => r is not null && r.Count > contextPairs))
        {
            Array.Clear(logWeights);
            for (var j = 0; j < contextPairs; j++)
            {
                Margins(data, user[j], population, trueReward, margins);
                for (var h = 0; h < margins.Length; h++)
                {
                    logWeights[h] += data.WeightAt(user[j]) * LogSigmoid(margins[h]);
                }
            }

            // Normalised in log space: ten pairs' likelihoods already span many orders of magnitude.
            var max = logWeights.Max();
            var weights = logWeights.Select(w => Math.Exp(w - max)).ToArray();
            var total = weights.Sum();
            for (var j = contextPairs; j < user.Count; j++)
            {
                Margins(data, user[j], population, trueReward, margins);
                var p = 0.0;
                for (var h = 0; h < margins.Length; h++)
                {
                    p += weights[h] * PairPredictions.Sigmoid(margins[h]);
                }

                correct += p / total > 0.5 ? 1 : 0;
                queries++;
            }
        }

        return queries == 0 ? double.NaN : (double)correct / queries;
    }

    private static void Margins(PreferenceDataset data, int record, IReadOnlyList<UserId> population, TrueUserReward trueReward, double[] margins)
    {
        for (var h = 0; h < population.Count; h++)
        {
            margins[h] = trueReward(population[h], data.ChosenVector(record), data.PromptVector(record))
                - trueReward(population[h], data.RejectedVector(record), data.PromptVector(record));
        }
    }

    private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));
}
