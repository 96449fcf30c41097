using System.Text.Json;
using Pluralistic.Data;

namespace Pluralistic.Tests.Support;

/// <summary>
/// Generated ratings turned into pairs, as <c>import ratings</c> writes them: a catalogue of items (random vectors),
/// users who rate some of them on a 1-5 scale from a hidden utility — a quality every user shares plus a personal
/// linear taste (two groups with opposite tastes) — and, per user, pairs of rated items whose ratings differ, carrying
/// the item ids and ratings as extension keys.
/// </summary>
public sealed record RatedItems
{
    public int Items { get; init; } = 60;

    public int Dimension { get; init; } = 6;

    public int Users { get; init; } = 40;

    public int RatingsPerUser { get; init; } = 24;

    public int PairsPerUser { get; init; } = 60;

    /// <summary>Weight of the quality every user shares.</summary>
    public double Shared { get; init; } = 1;

    /// <summary>Weight of the personal taste (group "minus" has the opposite taste of group "plus").</summary>
    public double Personal { get; init; }

    /// <summary>Standard deviation of the rating noise.</summary>
    public double Noise { get; init; } = 0.3;

    /// <summary>Whether records carry item ids and ratings.</summary>
    public bool WithItems { get; init; } = true;

    public int Seed { get; init; }

    /// <summary>The records, and for each the hidden utility difference (chosen - rejected) of its user.</summary>
    public (List<PreferenceRecord> Records, List<double> TrueMargins) Generate()
    {
        var random = new Random(Seed);
        var vectors = Enumerable.Range(0, Items).Select(_ => Enumerable.Range(0, Dimension).Select(_ => (float)Gaussian(random)).ToArray()).ToArray();
        var quality = Enumerable.Range(0, Items).Select(_ => Gaussian(random)).ToArray();
        var taste = Enumerable.Range(0, Dimension).Select(_ => Gaussian(random) / Math.Sqrt(Dimension)).ToArray();
        var records = new List<PreferenceRecord>();
        var margins = new List<double>();
        for (var u = 0; u < Users; u++)
        {
            var sign = u % 2 == 0 ? 1 : -1;
            var utility = Enumerable.Range(0, Items).Select(i => (Shared * quality[i]) + (Personal * sign * Enumerable.Range(0, Dimension).Sum(j => taste[j] * vectors[i][j]))).ToArray();
            var rated = Enumerable.Range(0, Items).ToArray();
            random.Shuffle(rated);
            var ratings = rated.Take(RatingsPerUser).ToDictionary(i => i, i => Math.Clamp(Math.Round(3 + utility[i] + (Noise * Gaussian(random))), 1, 5));
            var pairs = ratings.Keys.SelectMany(a => ratings.Keys.Where(b => a < b && ratings[a] != ratings[b]).Select(b => (a, b))).ToArray();
            random.Shuffle(pairs);
            foreach (var (a, b) in pairs.Take(PairsPerUser))
            {
                var (chosen, rejected) = ratings[a] > ratings[b] ? (a, b) : (b, a);
                var record = new PreferenceRecord
                {
                    UserId = $"u{u}",
                    ChosenEmbedding = vectors[chosen],
                    RejectedEmbedding = vectors[rejected],
                    Group = sign > 0 ? "plus" : "minus",
                };
                if (WithItems)
                {
                    record.ExtensionData = new Dictionary<string, JsonElement>
                    {
                        [PreferenceItemKeys.ItemChosen] = JsonSerializer.SerializeToElement($"item-{chosen}"),
                        [PreferenceItemKeys.ItemRejected] = JsonSerializer.SerializeToElement($"item-{rejected}"),
                        [PreferenceItemKeys.RatingChosen] = JsonSerializer.SerializeToElement(ratings[chosen]),
                        [PreferenceItemKeys.RatingRejected] = JsonSerializer.SerializeToElement(ratings[rejected]),
                    };
                }

                records.Add(record);
                margins.Add(utility[chosen] - utility[rejected]);
            }
        }

        // Interleave users as real logs do (the split must not depend on file order).
        var order = Enumerable.Range(0, records.Count).ToArray();
        random.Shuffle(order);
        return (order.Select(i => records[i]).ToList(), order.Select(i => margins[i]).ToList());
    }

    /// <summary>Writes the records as JSONL and returns the hidden utility margins by line.</summary>
    public async Task<List<double>> WriteAsync(string path)
    {
        var (records, margins) = Generate();
        await PreferenceJsonl.WriteAsync(path, records);
        return margins;
    }

    /// <summary>Loads a written file as the command line does: the dataset and its items.</summary>
    public static async Task<(PreferenceDataset Data, PreferenceItems? Items)> LoadAsync(string path)
    {
        var data = await PreferenceJsonl.LoadDatasetAsync(path);
        return (data, await PreferenceJsonl.ReadItemsAsync(path, data));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
