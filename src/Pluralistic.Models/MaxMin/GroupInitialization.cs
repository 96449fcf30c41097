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

    /// <summary>
    /// k-means of the points into <paramref name="groups"/> clusters: k-means++ seeding from a seeded generator, then
    /// Lloyd iterations until no point changes cluster (at most 100). Deterministic for a seed; small enough (users x
    /// dimensions) that a dependency on a machine-learning framework is not worth carrying into every host.
    /// </summary>
    public static int[] KMeans(float[][] points, int groups, int seed)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var n = points.Length;
        var labels = new int[n];
        if (n == 0)
        {
            return labels;
        }

        var d = points[0].Length;
        var random = new Random(seed);
        var centres = new List<double[]> { points[random.Next(n)].Select(v => (double)v).ToArray() };
        var nearest = points.Select(p => SquaredDistance(p, centres[0])).ToArray();
        while (centres.Count < Math.Min(groups, n))
        {
            // k-means++: the next centre is a point drawn with probability proportional to its squared distance.
            var total = nearest.Sum();
            var next = total > 0 ? Draw(nearest, total * random.NextDouble()) : random.Next(n);
            centres.Add(points[next].Select(v => (double)v).ToArray());
            for (var i = 0; i < n; i++)
            {
                nearest[i] = Math.Min(nearest[i], SquaredDistance(points[i], centres[^1]));
            }
        }

        Array.Fill(labels, -1);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            var changed = false;
            for (var i = 0; i < n; i++)
            {
                var best = 0;
                var bestDistance = double.MaxValue;
                for (var c = 0; c < centres.Count; c++)
                {
                    var distance = SquaredDistance(points[i], centres[c]);
                    if (distance < bestDistance)
                    {
                        (best, bestDistance) = (c, distance);
                    }
                }

                changed |= labels[i] != best;
                labels[i] = best;
            }

            if (!changed)
            {
                break;
            }

            for (var c = 0; c < centres.Count; c++)
            {
                var members = 0;
                var sum = new double[d];
                for (var i = 0; i < n; i++)
                {
                    if (labels[i] == c)
                    {
                        members++;
                        for (var j = 0; j < d; j++)
                        {
                            sum[j] += points[i][j];
                        }
                    }
                }

                // An emptied cluster keeps its centre.
                if (members > 0)
                {
                    centres[c] = sum.Select(v => v / members).ToArray();
                }
            }
        }

        return labels;
    }

    private static int Draw(double[] weights, double target)
    {
        for (var i = 0; i < weights.Length; i++)
        {
            target -= weights[i];
            if (target < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    private static double SquaredDistance(float[] point, double[] centre)
    {
        var sum = 0.0;
        for (var j = 0; j < centre.Length; j++)
        {
            var difference = point[j] - centre[j];
            sum += difference * difference;
        }

        return sum;
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
}
