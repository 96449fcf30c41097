namespace Pluralistic.Data;

/// <summary>
/// What any method could reach on the paraphrase preset's unseen users after a few context pairs: the Bayes-optimal
/// prediction of a reader who knows the generator and which latent answer every sentence is.
/// </summary>
/// <param name="ContextPairs">Context pairs per unseen user (their first records); the rest are the queries.</param>
/// <param name="Queries">Query records scored.</param>
/// <param name="Accuracy">Accuracy on the queries.</param>
/// <param name="PerGroup">Accuracy per group.</param>
/// <param name="PerPairKind">Accuracy per pair kind (<c>contested</c>, <c>quality</c>, <c>off-topic</c>).</param>
/// <param name="PriorSamples">Users drawn from the prior to approximate each posterior.</param>
public sealed record ContextBayesReport(
    int ContextPairs,
    int Queries,
    double Accuracy,
    IReadOnlyDictionary<string, double> PerGroup,
    IReadOnlyDictionary<string, double> PerPairKind,
    int PriorSamples)
{
    /// <summary>The group with the lowest accuracy and that accuracy.</summary>
    public (string Group, double Accuracy) WorstGroup => PerGroup.MinBy(g => g.Value) is var worst ? (worst.Key, worst.Value) : default;
}

public sealed partial class SyntheticParaphrasePopulation
{
    /// <summary>
    /// The bare phrasings (no openers or closers) of both sides of every contested topic, from the training or the test
    /// pool: what a probe of a text embedder needs to ask whether its vectors separate the sides of reworded answers.
    /// </summary>
    /// <param name="test">The test pool (worded differently from every training phrasing) rather than the training pool.</param>
    /// <returns>One entry per contested topic.</returns>
    public static IReadOnlyList<StancePhrasings> ContestedPhrasings(bool test) =>
        ContestedTopicList.Select(t => new StancePhrasings(
            t.Name,
            t.Answers.Single(a => a.Stance > 0).Phrasings.For(test),
            t.Answers.Single(a => a.Stance < 0).Phrasings.For(test))).ToList();

    /// <summary>
    /// The ceiling a method faces on unseen users: for each unseen user, the posterior over hidden tastes given the
    /// labels of their first <paramref name="contextPairs"/> records, from a prior that is the generator itself
    /// (group shares, stance strengths, mavericks), with perfect perception (it reads which latent answer each sentence
    /// is, as a perfect text encoder would); each query is predicted by the posterior-mean probability. The methods see
    /// the same context and queries (as the experiments evaluate them: a user's first records are
    /// context), so the gap to this figure is theirs, not the text's or the label noise's.
    /// </summary>
    /// <param name="contextPairs">Context pairs per unseen user.</param>
    /// <param name="priorSamples">Tastes drawn from the prior (importance sampling); 20,000 keeps the figure within about 0.1 point.</param>
    /// <returns>Accuracies on the queries, overall, per group and per pair kind.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or no user has a query left.</exception>
    public ContextBayesReport ContextBayes(int contextPairs, int priorSamples = 20_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contextPairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(priorSamples, 1);

        // Its own stream (a fixed function of the seed: HashCode is salted per process), so computing the ceiling never
        // changes the population's draw and gives the same figure in every process.
        var random = new Random(unchecked((Options.Seed * 7919) + 104_729));
        var shares = Groups.Select(g => g.Share).ToList();
        var prior = SyntheticMath.AssignGroups(shares, priorSamples, random).Select(g => Taste.Draw(g, random)).ToArray();

        var correct = new Dictionary<string, (double Right, int Count)>(StringComparer.Ordinal);
        var perGroup = new Dictionary<string, (double Right, int Count)>(StringComparer.Ordinal);
        var logWeights = new double[priorSamples];
        var queries = 0;
        double right = 0;
        var start = 0;
        while (start < _unseenLatent.Count)
        {
            var end = start;
            while (end < _unseenLatent.Count && TestUnseen[end].UserId == TestUnseen[start].UserId)
            {
                end++;
            }

            var context = Math.Min(contextPairs, end - start);
            Array.Clear(logWeights);
            for (var i = start; i < start + context; i++)
            {
                for (var s = 0; s < priorSamples; s++)
                {
                    logWeights[s] += LogSigmoid(Margin(prior[s], _unseenLatent[i]));
                }
            }

            var max = logWeights.Max();
            var weights = logWeights.Select(l => Math.Exp(l - max)).ToArray();
            var total = weights.Sum();
            for (var i = start + context; i < end; i++)
            {
                double p = 0;
                for (var s = 0; s < priorSamples; s++)
                {
                    p += weights[s] * PairPredictions.Sigmoid(Margin(prior[s], _unseenLatent[i]));
                }

                p /= total;
                var score = p > 0.5 ? 1.0 : p == 0.5 ? 0.5 : 0.0;
                var latent = _unseenLatent[i];
                right += score;
                queries++;
                Add(correct, latent.Kind, score);
                Add(perGroup, Groups[latent.Group].Name, score);
            }

            start = end;
        }

        if (queries == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(contextPairs), contextPairs, "no unseen user has a query after that many context pairs");
        }

        return new ContextBayesReport(
            contextPairs,
            queries,
            right / queries,
            perGroup.ToDictionary(g => g.Key, g => g.Value.Right / g.Value.Count, StringComparer.Ordinal),
            correct.ToDictionary(k => k.Key, k => k.Value.Right / k.Value.Count, StringComparer.Ordinal),
            priorSamples);

        static double Margin(Taste taste, LatentPair pair) =>
            taste.Reward(pair.PromptTopic, pair.Chosen) - taste.Reward(pair.PromptTopic, pair.Rejected);

        static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

        static void Add(Dictionary<string, (double Right, int Count)> tally, string key, double score) =>
            tally[key] = tally.TryGetValue(key, out var t) ? (t.Right + score, t.Count + 1) : (score, 1);
    }
}

/// <summary>The phrasings of the two sides of one contested topic, from one split's pool.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="FirstSide">Phrasings of the first side's answer (cats, plant-based, city).</param>
/// <param name="SecondSide">Phrasings of the second side's answer (dogs, meat, nature).</param>
public sealed record StancePhrasings(string Topic, IReadOnlyList<string> FirstSide, IReadOnlyList<string> SecondSide);
