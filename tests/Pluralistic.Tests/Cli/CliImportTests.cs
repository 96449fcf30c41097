using System.Text;
using System.Text.Json;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Cli;

public class CliImportTests
{
    [Fact]
    public async Task Json_prints_one_summary_object_that_matches_the_file()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 21, users: 12);
        var run = await CliRunner.RunAsync(
            "import", "ratings", "--data", population.WriteRatingsCsv(dir.File("ratings.csv")), "--items", population.WriteItemsCsv(dir.File("items.csv")),
            "--out", dir.File("pairs.jsonl"), "--max-pairs-per-user", "15", "--seed", "4", "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Empty(run.Output);

        using var json = JsonDocument.Parse(run.Json);
        var root = json.RootElement;
        var lines = File.ReadAllLines(dir.File("pairs.jsonl"));
        Assert.Equal(lines.Length, root.GetProperty("pairs").GetInt64());
        Assert.Equal(population.Ratings.Count, root.GetProperty("ratings").GetInt64());
        Assert.Equal(12, root.GetProperty("users").GetInt32());
        Assert.Equal("csv", root.GetProperty("format").GetString());
        Assert.Equal(15, root.GetProperty("max_pairs_per_user").GetInt32());
        Assert.True(root.GetProperty("dropped").GetProperty("tie_pairs").GetInt64() > 0);
        Assert.True(lines.GroupBy(l => ImportedPair.Parse(l).User).All(g => g.Count() <= 15));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_split_trains_and_evaluates_with_context_pairs(bool vectors)
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 22, users: 40, minRated: 12, maxRated: 30);
        var split = dir.File("split");
        string[] import =
        [
            "import", "ratings", "--data", population.WriteRatingsCsv(dir.File("ratings.csv")), "--items", population.WriteItemsCsv(dir.File("items.csv")),
            "--out", split, "--split", "--unseen-users", "10", "--context-pairs", "4", "--max-pairs-per-user", "30", "--json",
        ];
        if (vectors)
        {
            import = [.. import, "--vectors", "--list-fields", "genres", "--category-fields", "studio", "--numeric-fields", "year"];
        }

        var imported = await CliRunner.RunAsync(import);
        Assert.True(imported.ExitCode == 0, imported.Error);
        using var summary = JsonDocument.Parse(imported.Json);
        var unseenUsers = summary.RootElement.GetProperty("split").GetProperty("unseen_users").GetInt32();
        Assert.True(unseenUsers > 0);

        var runDir = dir.File("run");
        var train = await CliRunner.RunAsync("train", "--model", "bt", "--data", Path.Combine(split, "train.jsonl"), "--out", runDir, "--epochs", "2", "--device", "cpu", "--json");
        Assert.True(train.ExitCode == 0, train.Error);

        var seen = await CliRunner.RunAsync("evaluate", "--run", runDir, "--data", Path.Combine(split, "test_seen.jsonl"), "--json");
        Assert.True(seen.ExitCode == 0, seen.Error);
        using (var seenJson = JsonDocument.Parse(seen.Json))
        {
            Assert.Equal(File.ReadAllLines(Path.Combine(split, "test_seen.jsonl")).Length, seenJson.RootElement.GetProperty("metrics").GetProperty("count").GetInt32());
        }

        var unseen = await CliRunner.RunAsync("evaluate", "--run", runDir, "--data", Path.Combine(split, "test_unseen.jsonl"), "--context-pairs", "4", "--json");
        Assert.True(unseen.ExitCode == 0, unseen.Error);
        using var unseenJson = JsonDocument.Parse(unseen.Json);
        Assert.Equal(4 * unseenUsers, unseenJson.RootElement.GetProperty("context_records").GetInt32());
        Assert.Equal(0, unseenJson.RootElement.GetProperty("users_without_queries").GetInt32());
        Assert.Equal(File.ReadAllLines(Path.Combine(split, "test_unseen.jsonl")).Length - (4 * unseenUsers), unseenJson.RootElement.GetProperty("metrics").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Human_output_reports_the_files_what_was_dropped_and_the_vector_layout()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir.File("u.genre"), "unknown|0\nSpace|1\nWestern|2\n");
        await File.WriteAllTextAsync(dir.File("u.item"), "1|Café (1994)|01-Jan-1994||url|0|1|0\n2|Dust (1971)|01-Jan-1971||url|0|0|1\n3|Both (1999)|01-Jan-1999||url|0|1|1\n", Encoding.Latin1);
        await File.WriteAllTextAsync(dir.File("u.data"), "7\t1\t5\t1\n7\t2\t1\t2\n7\t3\t5\t3\n8\t1\t2\t4\n8\t3\t2\t5\n9\t2\t4\t6\n");

        var run = await CliRunner.RunAsync(
            "import", "ratings", "--data", dir.File("u.data"), "--columns", "user_id,item_id,rating,timestamp",
            "--items", dir.File("u.item"), "--items-format", "movielens", "--vectors", "--out", dir.File("ml.jsonl"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Read 6 ratings of 3 users and 3 items from u.data (tsv)", run.Output, StringComparison.Ordinal);
        Assert.Contains("Wrote 2 pairs (text and 6-dimensional item vectors) of 1 users", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"tie pairs \(ratings less than 1 apart\)\W+2\W", run.Output); // 5-5 of user 7, 2-2 of user 8
        Assert.Matches(@"users with fewer than 2 ratings\W+1\W", run.Output);
        Assert.Matches(@"users whose ratings gave no pair\W+1\W", run.Output);
        Assert.Contains("unknown, Space, Western", run.Output, StringComparison.Ordinal);
        Assert.Contains("Café (1994). Genres: Space", File.ReadAllText(dir.File("ml.jsonl")).Replace("\\u00E9", "é", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_fails_with_one_line_naming_file_line_and_column()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir.File("ratings.csv"), "user_id,text,rating\nu1,a,4\nu1,b,abc\nu1,c,1\n");

        var bad = await CliRunner.RunAsync("import", "ratings", "--data", dir.File("ratings.csv"), "--out", dir.File("out.jsonl"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("error: ratings.csv, line 3, column 3 (rating): 'abc' is not a number", bad.Error.Trim());
        Assert.False(File.Exists(dir.File("out.jsonl")));

        var skipped = await CliRunner.RunAsync("import", "ratings", "--data", dir.File("ratings.csv"), "--out", dir.File("out.jsonl"), "--skip-invalid");
        Assert.True(skipped.ExitCode == 0, skipped.Error);
        Assert.Contains("skipped 1 invalid ratings line(s) (invalid rating 1)", skipped.Output, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(dir.File("out.jsonl")));

        var noSplit = await CliRunner.RunAsync("import", "ratings", "--data", dir.File("ratings.csv"), "--out", dir.File("out2.jsonl"), "--context-pairs", "3");
        Assert.Equal(1, noSplit.ExitCode);
        Assert.Contains("add --split", noSplit.Error, StringComparison.Ordinal);

        var separator = await CliRunner.RunAsync("import", "ratings", "--data", dir.File("ratings.csv"), "--out", dir.File("out3.jsonl"), "--separator", "ab");
        Assert.Equal(1, separator.ExitCode);
        Assert.Contains("--separator: give one character", separator.Error, StringComparison.Ordinal);

        var vectors = await CliRunner.RunAsync("import", "ratings", "--data", dir.File("ratings.csv"), "--out", dir.File("out4.jsonl"), "--vectors");
        Assert.Equal(1, vectors.ExitCode);
        Assert.Contains("needs an items file", vectors.Error, StringComparison.Ordinal);
    }
}
