using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pluralistic.Tests.Support;

/// <summary>
/// A generated ratings population: items with genres, a year and a studio; users with hidden utilities over genres
/// and recency; each user rates a random subset of items on a 1-5 scale (utility plus noise, rounded). Optionally every
/// user answers several prompts (PRISM-style conversations), rating a few replies of each.
/// </summary>
internal sealed class GeneratedRatings
{
    public static readonly string[] Genres = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"];

    public static readonly string[] Studios = ["North", "South", "East"];

    private GeneratedRatings(List<GeneratedItem> items, List<GeneratedRating> ratings)
    {
        Items = items;
        Ratings = ratings;
    }

    public List<GeneratedItem> Items { get; }

    public List<GeneratedRating> Ratings { get; }

    public static GeneratedRatings Create(int seed, int users = 30, int items = 60, int minRated = 6, int maxRated = 30)
    {
        var random = new Random(seed);
        var catalog = new List<GeneratedItem>();
        for (var i = 0; i < items; i++)
        {
            var genres = Genres.Where(_ => random.NextDouble() < 0.3).ToArray();
            // Some titles need CSV quoting: a comma, a quote, a line break.
            var title = (i % 7) switch
            {
                3 => $"Film {i}, the sequel",
                5 => $"The \"{i}\" story",
                6 => $"Two lines\nfor film {i}",
                _ => $"Film {i}",
            };
            catalog.Add(new GeneratedItem($"m{i}", title, genres, 1960 + random.Next(60), Studios[random.Next(Studios.Length)]));
        }

        var ratings = new List<GeneratedRating>();
        for (var u = 0; u < users; u++)
        {
            var weights = Genres.ToDictionary(g => g, _ => Gaussian(random));
            var recency = Gaussian(random) * 0.03;
            var rated = catalog.OrderBy(_ => random.Next()).Take(random.Next(minRated, maxRated + 1));
            foreach (var item in rated)
            {
                var utility = item.Genres.Sum(g => weights[g]) + (recency * (item.Year - 1990)) + (0.5 * Gaussian(random));
                ratings.Add(new GeneratedRating($"user {u}", item.Id, Math.Clamp(Math.Round(3 + utility), 1, 5)));
            }
        }

        // Interleave users, as real files do: a user's ratings are spread over the file.
        return new GeneratedRatings(catalog, [.. ratings.OrderBy(_ => random.Next())]);
    }

    /// <summary>PRISM-style: every user has several conversations, each with its own replies rated 1-100.</summary>
    public static GeneratedRatings CreateConversations(int seed, int users = 12, int conversationsPerUser = 4, int repliesPerConversation = 4)
    {
        var random = new Random(seed);
        var items = new List<GeneratedItem>();
        var ratings = new List<GeneratedRating>();
        for (var u = 0; u < users; u++)
        {
            var taste = Gaussian(random);
            for (var c = 0; c < conversationsPerUser; c++)
            {
                var conversation = $"conv-{u}-{c}";
                var prompt = $"Opening prompt {c} of user {u}: what do you think?";
                for (var r = 0; r < repliesPerConversation; r++)
                {
                    var length = random.NextDouble();
                    var item = new GeneratedItem($"{conversation}-reply-{r}", $"Reply {r} to {conversation}, {(length > 0.5 ? "long" : "short")}", [], 2024, "model");
                    items.Add(item);
                    ratings.Add(new GeneratedRating($"p{u}", item.Id, Math.Clamp(Math.Round(50 + (30 * taste * (length - 0.5)) + (20 * Gaussian(random))), 1, 100), conversation, prompt));
                }
            }
        }

        return new GeneratedRatings(items, [.. ratings.OrderBy(_ => random.Next())]);
    }

    /// <summary>The rating of (user, item) — in a conversation when given.</summary>
    public Dictionary<(string User, string Item), double> Lookup() => Ratings.ToDictionary(r => (r.User, r.Item), r => r.Value);

    public string WriteRatingsCsv(string path, bool withText = false)
    {
        var text = new StringBuilder(withText ? "user_id,item_id,text,rating,timestamp\n" : "user_id,item_id,rating,timestamp\n");
        var titles = Items.ToDictionary(i => i.Id, i => i.Title);
        var timestamp = 880_000_000;
        foreach (var rating in Ratings)
        {
            text.Append(Csv(rating.User)).Append(',').Append(rating.Item).Append(',');
            if (withText)
            {
                text.Append(Csv(titles[rating.Item])).Append(',');
            }

            text.Append(rating.Value.ToString(CultureInfo.InvariantCulture)).Append(',').Append(timestamp++).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    public string WriteConversationsCsv(string path)
    {
        var text = new StringBuilder("user_id,conversation_id,prompt,item_id,text,rating\n");
        var titles = Items.ToDictionary(i => i.Id, i => i.Title);
        foreach (var rating in Ratings)
        {
            text.Append(rating.User).Append(',').Append(rating.Conversation).Append(',').Append(Csv(rating.Prompt!)).Append(',')
                .Append(rating.Item).Append(',').Append(Csv(titles[rating.Item])).Append(',')
                .Append(rating.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    public string WriteRatingsJsonl(string path)
    {
        var lines = Ratings.Select(r => JsonSerializer.Serialize(new Dictionary<string, object> { ["user_id"] = r.User, ["item_id"] = r.Item, ["rating"] = r.Value }));
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>item_id,text,genres,year,studio (genres joined by '|').</summary>
    public string WriteItemsCsv(string path)
    {
        var text = new StringBuilder("item_id,text,genres,year,studio\n");
        foreach (var item in Items)
        {
            text.Append(item.Id).Append(',').Append(Csv(item.Title)).Append(',').Append(string.Join('|', item.Genres)).Append(',')
                .Append(item.Year.ToString(CultureInfo.InvariantCulture)).Append(',').Append(item.Studio).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    public string WriteItemsJsonl(string path)
    {
        var lines = Items.Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["item_id"] = i.Id, ["text"] = i.Title, ["genres"] = i.Genres, ["year"] = i.Year, ["studio"] = i.Studio,
        }));
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>RFC 4180 quoting where a field needs it.</summary>
    public static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

internal sealed record GeneratedItem(string Id, string Title, string[] Genres, int Year, string Studio);

internal sealed record GeneratedRating(string User, string Item, double Value, string? Conversation = null, string? Prompt = null);

/// <summary>One written record, as a test reads it back.</summary>
internal sealed record ImportedPair(
    string User,
    string? Prompt,
    string? Chosen,
    string? Rejected,
    float[]? ChosenVector,
    float[]? RejectedVector,
    string ItemChosen,
    string ItemRejected,
    double RatingChosen,
    double RatingRejected,
    string? Conversation)
{
    public static List<ImportedPair> ReadAll(string path) => File.ReadLines(path).Where(l => l.Length > 0).Select(Parse).ToList();

    public static ImportedPair Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        string? S(string key) => root.TryGetProperty(key, out var v) ? v.GetString() : null;
        float[]? V(string key) => root.TryGetProperty(key, out var v) ? v.EnumerateArray().Select(x => x.GetSingle()).ToArray() : null;
        return new ImportedPair(
            S("user_id")!,
            S("prompt"),
            S("chosen"),
            S("rejected"),
            V("chosen_embedding"),
            V("rejected_embedding"),
            S("item_chosen")!,
            S("item_rejected")!,
            root.GetProperty("rating_chosen").GetDouble(),
            root.GetProperty("rating_rejected").GetDouble(),
            S("conversation_id"));
    }
}
