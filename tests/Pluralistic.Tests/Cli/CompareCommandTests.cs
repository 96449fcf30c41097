using System.Text.Json;
using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Cli;

public class CompareCommandTests
{
    [Fact]
    public async Task Compare_runs_end_to_end_on_rated_items_with_every_reference_row_and_prints_one_json_object()
    {
        using var directory = new TempDirectory();
        var (data, output) = await RatedItemsFileAsync(directory);

        var run = await CliRunner.RunAsync(
            "compare", "--data", data, "--models", "bt,pal", "--epochs", "3", "--patience", "2", "--context-pairs", "1,5", "--device", "cpu", "--threads", "1", "--out", output, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Empty(run.Output);
        using var json = JsonDocument.Parse(run.Json);
        var root = json.RootElement;
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["bt", "pal", "item-mean", "user-knn", "user-linear"], rows.Select(r => r.GetProperty("model").GetString()));
        Assert.Equal([false, false, true, true, true], rows.Select(r => r.GetProperty("is_reference").GetBoolean()));
        Assert.Empty(root.GetProperty("unavailable").EnumerateArray());
        Assert.Equal(5, root.GetProperty("context_pairs").GetInt32());
        var split = root.GetProperty("split");
        Assert.True(split.GetProperty("item_disjoint").GetBoolean());
        Assert.Equal([1, 5], split.GetProperty("context_sizes").EnumerateArray().Select(k => k.GetInt32()));
        foreach (var row in rows)
        {
            Assert.InRange(row.GetProperty("seen").GetProperty("accuracy").GetDouble(), 0, 1);
            Assert.Equal(2, row.GetProperty("few_shot").GetProperty("points").GetArrayLength());
        }

        // The report says how the methods were trained.
        Assert.Contains("every method with 3 epochs (patience 2)", await File.ReadAllTextAsync(Path.Combine(output, "compare.md")), StringComparison.Ordinal);

        // The item mean sees the shared quality every user rates by: it beats chance.
        Assert.True(rows[2].GetProperty("seen").GetProperty("accuracy").GetDouble() > 0.6);

        var report = await File.ReadAllTextAsync(Path.Combine(output, "compare.md"));
        foreach (var row in new[] { "| bt ", "| pal ", "| item-mean (reference) ", "| user-knn (reference) ", "| user-linear (reference) " })
        {
            Assert.Contains(row, report, StringComparison.Ordinal);
        }

        Assert.Contains("Item-disjoint", report, StringComparison.Ordinal);
        Assert.Contains("## Per group", report, StringComparison.Ordinal);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(output, "images"), "*.png").Length);
    }

    [Fact]
    public async Task Compare_on_text_without_item_ids_embeds_the_text_and_shows_the_item_rows_as_not_applicable()
    {
        using var directory = new TempDirectory();
        var data = directory.File("text.jsonl");
        await PreferenceJsonl.WriteAsync(data, TextRecords());
        var output = directory.File("report");

        var run = await CliRunner.RunAsync("compare", "--data", data, "--models", "bt", "--epochs", "2", "--references", "item-mean,user-linear", "--embedder", "hashed", "--device", "cpu", "--out", output);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("distinct texts with hashed", run.Output, StringComparison.Ordinal);
        Assert.Contains("Random split", run.Output, StringComparison.Ordinal);
        Assert.Contains("item-mean: n/a, the records name no items", run.Output, StringComparison.Ordinal);
        Assert.Contains("user-linear (reference)", run.Output, StringComparison.Ordinal);
        var report = await File.ReadAllTextAsync(Path.Combine(output, "compare.md"));
        Assert.Contains("| item-mean (reference) ", report, StringComparison.Ordinal);
        Assert.Contains("- item-mean: n/a, the records name no items", report, StringComparison.Ordinal);
        Assert.DoesNotContain("user-knn", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_anchors_by_default_says_how_much_of_their_own_reward_each_row_lets_users_keep_and_anchor_false_trains_alone()
    {
        using var directory = new TempDirectory();
        var (data, output) = await RatedItemsFileAsync(directory);

        var run = await CliRunner.RunAsync(
            "compare", "--data", data, "--models", "bt,pal", "--references", "none", "--epochs", "3", "--patience", "2", "--context-pairs", "1,5", "--device", "cpu", "--threads", "1", "--out", output);

        Assert.True(run.ExitCode == 0, run.Error);
        var report = await File.ReadAllTextAsync(Path.Combine(output, "compare.md"));
        Assert.Contains("Anchored rows (the default; `--anchor false` trains the methods alone)", report, StringComparison.Ordinal);

        // One line per anchored row (BT has no anchor), naming both weights as the fit left them.
        var lines = report.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal) && l.Contains(" new users ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.StartsWith("- pal: new users ", line, StringComparison.Ordinal);
        Assert.Matches(@"new users (kappa [0-9.]+|none \(kappa infinity\)), seen users (kappa [0-9.]+|none \(kappa infinity\)|weight [0-9.]+)", line);
        Assert.Equal(line.Contains("new users none (kappa infinity)", StringComparison.Ordinal), line.Contains("scored by the population reward alone", StringComparison.Ordinal));

        // --anchor false: the methods alone, so no row has weights to list.
        var alone = await CliRunner.RunAsync(
            "compare", "--data", data, "--models", "bt,pal", "--references", "none", "--anchor", "false", "--epochs", "3", "--patience", "2", "--context-pairs", "1,5", "--device", "cpu", "--threads", "1", "--out", output);
        Assert.True(alone.ExitCode == 0, alone.Error);
        var aloneReport = await File.ReadAllTextAsync(Path.Combine(output, "compare.md"));
        Assert.DoesNotContain("Anchored rows", aloneReport, StringComparison.Ordinal);
        Assert.Contains("| pal ", aloneReport, StringComparison.Ordinal);
    }

    // Thirty users rating items with a shared quality and personal tastes, and where the report goes.
    private static async Task<(string Data, string Output)> RatedItemsFileAsync(TempDirectory directory)
    {
        var data = directory.File("ratings.jsonl");
        await new RatedItems { Users = 30, Shared = 1, Personal = 1.5, Seed = 8 }.WriteAsync(data);
        return (data, directory.File("report"));
    }

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "too few users", ["--data", "{two-users}"], "too few users for a split: 2 of 2 users" },
        { "unknown model", ["--data", "{ratings}", "--models", "bt,gpt"], "unknown model kind 'gpt'" },
        { "flag of a model not chosen", ["--data", "{ratings}", "--models", "bt", "--prototypes", "4"], "--prototypes applies to --model pal" },
        { "unknown reference", ["--data", "{ratings}", "--references", "svd"], "unknown reference 'svd'" },
        { "context pairs not a count", ["--data", "{ratings}", "--context-pairs", "1,0"], "--context-pairs: '0' is not a whole number of at least 1" },
        { "context pairs beyond the data", ["--data", "{ratings}", "--context-pairs", "1,500"], "no unseen user has 500 context pairs" },
        { "unseen fraction", ["--data", "{ratings}", "--unseen-fraction", "1.5"], "the unseen-user fraction must be in (0, 1)" },
        { "bad rating", ["--data", "{bad-rating}"], "line 2: 'rating_chosen' must be a finite number" },
        { "missing file", ["--data", "{missing}"], "cannot read the file" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_fails_with_one_line_naming_the_problem_before_anything_is_written(string scenario, string[] args, string expected)
    {
        using var directory = new TempDirectory();
        var ratings = directory.File("ratings.jsonl");
        await new RatedItems { Users = 10, Seed = 1 }.WriteAsync(ratings);
        var twoUsers = directory.File("two-users.jsonl");
        await new RatedItems { Users = 2, WithItems = false }.WriteAsync(twoUsers);
        var badRating = directory.File("bad-rating.jsonl");
        var lines = File.ReadLines(ratings).Take(3).ToArray();
        lines[1] = lines[1].Replace("\"rating_chosen\":", "\"rating_chosen\":\"five\",\"was\":", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(badRating, lines);
        var output = directory.File("report");
        var files = new Dictionary<string, string>
        {
            ["{ratings}"] = ratings,
            ["{two-users}"] = twoUsers,
            ["{bad-rating}"] = badRating,
            ["{missing}"] = directory.File("missing.jsonl"),
        };

        var run = await CliRunner.RunAsync([.. args.Select(a => files.GetValueOrDefault(a, a)).Prepend("compare"), "--epochs", "1", "--device", "cpu", "--out", output]);

        Assert.True(run.ExitCode == 1, $"{scenario}: exit {run.ExitCode}");
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(output), $"{scenario}: nothing is written");
    }

    /// <summary>Two groups of users who prefer dog sentences over cat sentences, or the reverse.</summary>
    private static IEnumerable<PreferenceRecord> TextRecords()
    {
        string[] dogs = ["the dog fetches the ball", "a puppy naps in the sun", "my dog loves long walks", "the hound barks at night"];
        string[] cats = ["the cat chases a mouse", "a kitten naps on the sofa", "my cat loves the window", "the cat purrs at night"];
        var random = new Random(3);
        for (var round = 0; round < 16; round++)
        {
            for (var u = 0; u < 12; u++)
            {
                var (dog, cat) = (dogs[random.Next(dogs.Length)], cats[random.Next(cats.Length)]);
                var likesDogs = u % 3 != 0;
                yield return new PreferenceRecord
                {
                    UserId = $"t{u}",
                    Chosen = likesDogs ? dog : cat,
                    Rejected = likesDogs ? cat : dog,
                    Group = likesDogs ? "dogs" : "cats",
                };
            }
        }
    }
}
