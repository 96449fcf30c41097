using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Pluralistic.Models.MaxMin;

/// <summary>
/// EM's first assignment of users to heads: k-means over the users' mean preference directions, or a seeded random
/// balanced assignment.
/// </summary>
internal static class GroupInitialization
{
    /// <summary>The first assignment.</summary>
    /// <param name="data">The training data.</param>
    /// <param name="records">The records to read (the training split).</param>
    /// <param name="groups">K.</param>
    /// <param name="method">k-means or random.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>Per user of <paramref name="data"/>, its group.</returns>
    public static int[] Assign(PreferenceDataset data, IReadOnlyList<int> records, int groups, MaxMinInitialization method, int seed)
    {
        var users = data.Users.Count;
        if (groups == 1)
        {
            return new int[users];
        }

        return method switch
        {
            MaxMinInitialization.KMeans => KMeans(PreferenceDirections(data, records), groups, seed),
            MaxMinInitialization.Random => RandomBalanced(users, groups, seed),
            MaxMinInitialization.Split => throw new ArgumentException($"{method} is not a direct assignment", nameof(method)),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
    }

    /// <summary>
    /// Per user, the mean of <c>chosen - rejected</c> over their pairs (example-weighted), scaled to unit length. To first
    /// order, a user's expected difference is the gradient of their reward averaged over the response distribution, so
    /// users who want the same things point the same way; unit length makes k-means compare directions (what a user
    /// wants) rather than how consistently they label.
    /// </summary>
    public static float[][] PreferenceDirections(PreferenceDataset data, IReadOnlyList<int> records)
    {
        var d = data.ResponseDimension;
        var sums = new double[data.Users.Count][];
        for (var u = 0; u < sums.Length; u++)
        {
            sums[u] = new double[d];
        }

        var userIndex = data.UserIndices.Span;
        foreach (var i in records)
        {
            var sum = sums[userIndex[i]];
            var chosen = data.ChosenVector(i);
            var rejected = data.RejectedVector(i);
            var w = data.WeightAt(i);
            for (var j = 0; j < d; j++)
            {
                sum[j] += w * (chosen[j] - rejected[j]);
            }
        }

        return sums.Select(sum =>
        {
            var norm = Math.Sqrt(sum.Sum(v => v * v));
            return sum.Select(v => (float)(norm > 0 ? v / norm : 0)).ToArray();
        }).ToArray();
    }

    /// <summary>k-means (ML.NET, k-means++ seeding, one thread for determinism) of the points into <paramref name="groups"/> clusters.</summary>
    public static int[] KMeans(float[][] points, int groups, int seed)
    {
        var context = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Point));
        schema[nameof(Point.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, points[0].Length);
        var view = context.Data.LoadFromEnumerable(points.Select(p => new Point { Features = p }), schema);
        var trainer = context.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            FeatureColumnName = nameof(Point.Features),
            NumberOfClusters = groups,
            InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            NumberOfThreads = 1,
        });
        var model = trainer.Fit(view);
        var labels = model.Transform(view).GetColumn<uint>("PredictedLabel").ToArray();

        // ML.NET's cluster ids are 1-based keys.
        return labels.Select(l => (int)l - 1).ToArray();
    }

    /// <summary>Users shuffled with the seed, then user i of the shuffle to group i mod K.</summary>
    public static int[] RandomBalanced(int users, int groups, int seed)
    {
        var order = Enumerable.Range(0, users).ToArray();
        new Random(seed).Shuffle(order);
        var assignment = new int[users];
        for (var i = 0; i < users; i++)
        {
            assignment[order[i]] = i % groups;
        }

        return assignment;
    }

    /// <summary>A row of the k-means input.</summary>
    private sealed class Point
    {
        public float[] Features { get; set; } = [];
    }
}
