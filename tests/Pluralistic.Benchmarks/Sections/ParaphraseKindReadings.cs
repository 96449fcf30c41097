using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Pluralistic.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Benchmarks.Sections;

/// <summary>
/// A diagnostic for the paraphrase preset: what simple readings of the vectors achieve when the pair's kind and the
/// user's group are known (no deployment knows either). Each reading is fitted on the training pairs of its kind only:
/// a linear reading of the response difference for quality pairs, one per hidden group for contested pairs, and a
/// rank-8 bilinear prompt x response reading for off-topic pairs (an answer to another question is only wrong relative
/// to the prompt). Composed, they bound from below what the vectors allow a method that learns the kinds apart.
/// </summary>
internal static class ParaphraseKindReadings
{
    private const int BilinearRank = 8;
    private const double L2 = 1e-2;
    private const double BilinearL2 = 1e-3;
    private const int Steps = 400;

    // The best of the penalties tried for the reading told groups but not kinds (per group 1e-4, 3e-4, 1e-3, 1e-2,
    // 1e-1; bilinear 1e-4, 1e-3, 3e-3, 1e-2), judged on the scored queries themselves: its row is optimistic.
    private const double KindsUnknownL2 = 1e-3;

    /// <summary>Whether each query is ranked right by the reading of its kind (and, for contested pairs, its group).</summary>
    /// <param name="train">The training pairs (prompt vectors required).</param>
    /// <param name="trainKinds">The kind of every training record.</param>
    /// <param name="test">The scored pairs.</param>
    /// <param name="testKinds">The kind of every scored record.</param>
    /// <param name="queries">The records scored.</param>
    /// <param name="seed">Seeds the bilinear reading's start.</param>
    /// <returns>Per query: right or not.</returns>
    public static bool[] Score(PreferenceDataset train, string[] trainKinds, PreferenceDataset test, string[] testKinds, IReadOnlyList<int> queries, int seed)
    {
        var right = new bool[queries.Count];
        var quality = Linear(train, Where(train, trainKinds, SyntheticParaphrasePopulation.QualityPair, group: null));
        var offTopic = Bilinear(train, Where(train, trainKinds, SyntheticParaphrasePopulation.OffTopicPair, group: null), seed);
        var groups = Enumerable.Range(0, train.Count).Select(train.GroupAt).OfType<string>().Distinct(StringComparer.Ordinal)
            .ToDictionary(g => g, g => Linear(train, Where(train, trainKinds, SyntheticParaphrasePopulation.ContestedPair, g)), StringComparer.Ordinal);
        for (var j = 0; j < queries.Count; j++)
        {
            var r = queries[j];
            var difference = new float[test.ResponseDimension];
            TensorPrimitives.Subtract(test.ChosenVector(r), test.RejectedVector(r), difference);
            var margin = testKinds[r] switch
            {
                SyntheticParaphrasePopulation.QualityPair => Dot(quality, difference),
                SyntheticParaphrasePopulation.OffTopicPair => BilinearMargin(offTopic, test.PromptVector(r), difference),
                _ => Dot(groups[test.GroupAt(r)!], difference),
            };
            right[j] = margin > 0;
        }

        return right;
    }

    /// <summary>
    /// Whether each query is ranked right by one reading fitted on every training pair, told each user's hidden group
    /// but not the pair's kind: a linear reading of the response difference per group plus one shared rank-8 bilinear
    /// prompt x response reading, its penalties the best of a small grid on the scored queries (so optimistic). Beside
    /// <see cref="Score"/> it shows what knowing the kinds is worth.
    /// </summary>
    /// <param name="train">The training pairs (prompt vectors and groups required).</param>
    /// <param name="test">The scored pairs (groups required).</param>
    /// <param name="queries">The records scored.</param>
    /// <param name="seed">Seeds the bilinear reading's start.</param>
    /// <returns>Per query: right or not.</returns>
    public static bool[] ScoreKindsUnknown(PreferenceDataset train, PreferenceDataset test, IReadOnlyList<int> queries, int seed)
    {
        var groups = Enumerable.Range(0, train.Count).Select(train.GroupAt).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var records = Enumerable.Range(0, train.Count).ToArray();
        float[][] perGroup;
        (float[][] PromptFactors, float[][] ResponseFactors) shared;
        using (var scope = NewDisposeScope())
        {
            using var l2 = KindsUnknownL2.ToScalar();
            using var bilinearL2 = BilinearL2.ToScalar();
            using var scale = 0.01.ToScalar();
            var x = tensor(Differences(train, records), [records.Length, train.ResponseDimension]);
            var p = tensor(Prompts(train, records), [records.Length, train.PromptDimension]);
            var g = tensor(records.Select(r => (long)Array.IndexOf(groups, train.GroupAt(r))).ToArray());
            using var generator = new Generator((ulong)seed);
            var w = new Parameter(zeros(groups.Length, train.ResponseDimension));
            var a = new Parameter(randn([train.PromptDimension, BilinearRank], generator: generator) * scale);
            var b = new Parameter(randn([train.ResponseDimension, BilinearRank], generator: generator) * scale);
            Minimise([w, a, b], () =>
                nn.functional.softplus(-((x * w.index_select(0, g)).sum(1) + (p.matmul(a) * x.matmul(b)).sum(1))).mean()
                + (w.square().sum(1).mean() * l2) + ((a.square().sum() + b.square().sum()) * bilinearL2));
            perGroup = Rows(w.detach());
            shared = (Rows(a.detach().t()), Rows(b.detach().t()));
        }

        var right = new bool[queries.Count];
        for (var j = 0; j < queries.Count; j++)
        {
            var r = queries[j];
            var difference = new float[test.ResponseDimension];
            TensorPrimitives.Subtract(test.ChosenVector(r), test.RejectedVector(r), difference);
            right[j] = Dot(perGroup[Array.IndexOf(groups, test.GroupAt(r))], difference) + BilinearMargin(shared, test.PromptVector(r), difference) > 0;
        }

        return right;
    }

    private static int[] Where(PreferenceDataset data, string[] kinds, string kind, string? group) =>
        [.. Enumerable.Range(0, data.Count).Where(i => kinds[i] == kind && (group is null || data.GroupAt(i) == group))];

    private static float[] Differences(PreferenceDataset data, int[] records)
    {
        var d = data.ResponseDimension;
        var x = new float[records.Length * d];
        for (var i = 0; i < records.Length; i++)
        {
            TensorPrimitives.Subtract(data.ChosenVector(records[i]), data.RejectedVector(records[i]), x.AsSpan(i * d, d));
        }

        return x;
    }

    private static float[] Prompts(PreferenceDataset data, int[] records)
    {
        var prompts = new float[records.Length * data.PromptDimension];
        for (var i = 0; i < records.Length; i++)
        {
            data.PromptVector(records[i]).CopyTo(prompts.AsSpan(i * data.PromptDimension, data.PromptDimension));
        }

        return prompts;
    }

    // L2-regularised logistic regression on the differences (chosen over rejected), full batch.
    private static float[] Linear(PreferenceDataset data, int[] records)
    {
        using var scope = NewDisposeScope();
        using var l2 = L2.ToScalar();
        var x = tensor(Differences(data, records), [records.Length, data.ResponseDimension]);
        var w = new Parameter(zeros(data.ResponseDimension));
        Minimise([w], () => nn.functional.softplus(-x.matmul(w)).mean() + (w.square().sum() * l2));
        return w.detach().data<float>().ToArray();
    }

    // A rank-8 bilinear reading, margin = sum_k (p A)_k (difference B)_k, fitted on the pairs with L2. Returned as
    // the rows of A^T and B^T, so each rank's factor is one contiguous vector.
    private static (float[][] PromptFactors, float[][] ResponseFactors) Bilinear(PreferenceDataset data, int[] records, int seed)
    {
        using var scope = NewDisposeScope();
        using var l2 = BilinearL2.ToScalar();
        using var scale = 0.01.ToScalar();
        var x = tensor(Differences(data, records), [records.Length, data.ResponseDimension]);
        var p = tensor(Prompts(data, records), [records.Length, data.PromptDimension]);
        using var generator = new Generator((ulong)seed);
        var a = new Parameter(randn([data.PromptDimension, BilinearRank], generator: generator) * scale);
        var b = new Parameter(randn([data.ResponseDimension, BilinearRank], generator: generator) * scale);
        Minimise([a, b], () => nn.functional.softplus(-(p.matmul(a) * x.matmul(b)).sum(1)).mean() + ((a.square().sum() + b.square().sum()) * l2));
        return (Rows(a.detach().t()), Rows(b.detach().t()));
    }

    // Full-batch Adam on a loss, a dispose scope around every step.
    private static void Minimise(Parameter[] parameters, Func<Tensor> loss)
    {
        using var optimizer = optim.Adam(parameters, lr: 1e-2);
        for (var step = 0; step < Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            loss().backward();
            optimizer.step();
        }
    }

    private static float[][] Rows(Tensor matrix) =>
        [.. Enumerable.Range(0, (int)matrix.shape[0]).Select(i => matrix[i].contiguous().data<float>().ToArray())];

    private static double Dot(float[] w, float[] x) => TensorPrimitives.Dot(w, x);

    private static double BilinearMargin((float[][] PromptFactors, float[][] ResponseFactors) reading, ReadOnlySpan<float> prompt, float[] difference)
    {
        double margin = 0;
        for (var k = 0; k < BilinearRank; k++)
        {
            margin += (double)TensorPrimitives.Dot(prompt, reading.PromptFactors[k]) * TensorPrimitives.Dot(difference, reading.ResponseFactors[k]);
        }

        return margin;
    }
}
