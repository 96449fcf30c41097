using System.Text;
using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

public class RatingsImportTests
{
    [Fact]
    public async Task Every_pair_agrees_with_the_ratings_respects_the_margin_and_the_cap_and_the_summary_adds_up()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 11);
        var ratings = population.WriteRatingsCsv(dir.File("ratings.csv"));
        var items = population.WriteItemsCsv(dir.File("items.csv"));
        const int cap = 25;

        var summary = await RatingsImporter.ImportAsync(ratings, dir.File("pairs.jsonl"), new RatingsImportOptions { ItemsPath = items, MaxPairsPerUser = cap, Seed = 3 });
        var pairs = ImportedPair.ReadAll(dir.File("pairs.jsonl"));

        var lookup = population.Lookup();
        var titles = population.Items.ToDictionary(i => i.Id, i => i.Title);
        foreach (var pair in pairs)
        {
            Assert.Equal(lookup[(pair.User, pair.ItemChosen)], pair.RatingChosen);
            Assert.Equal(lookup[(pair.User, pair.ItemRejected)], pair.RatingRejected);
            Assert.True(pair.RatingChosen - pair.RatingRejected >= 1, $"{pair.User}: {pair.RatingChosen} vs {pair.RatingRejected} is within the margin");
            Assert.Equal(titles[pair.ItemChosen], pair.Chosen);
            Assert.Equal(titles[pair.ItemRejected], pair.Rejected);
            Assert.Null(pair.ChosenVector);
        }

        // Per user: as many pairs as the ratings allow, up to the cap, each at most once.
        long comparable = 0, valid = 0;
        foreach (var user in population.Ratings.GroupBy(r => r.User))
        {
            var values = user.Select(r => r.Value).ToArray();
            var userComparable = (long)values.Length * (values.Length - 1) / 2;
            var userValid = values.SelectMany((a, i) => values.Skip(i + 1).Select(b => Math.Abs(a - b) >= 1)).LongCount(x => x);
            comparable += userComparable;
            valid += userValid;
            var written = pairs.Where(p => p.User == user.Key).ToList();
            Assert.Equal(Math.Min(cap, userValid), written.Count);
            Assert.Equal(written.Count, written.Select(p => (p.ItemChosen, p.ItemRejected)).Distinct().Count());
        }

        Assert.True(valid > pairs.Count, "the test needs users whose valid pairs exceed the cap");
        Assert.Equal(pairs.Count, summary.Pairs);
        Assert.Equal(population.Ratings.Count, summary.Ratings);
        Assert.Equal(population.Ratings.Select(r => r.User).Distinct().Count(), summary.Users);
        Assert.Equal(population.Ratings.Select(r => r.Item).Distinct().Count(), summary.Items);
        Assert.Equal(comparable - valid, summary.Dropped.TiePairs);
        Assert.Equal(valid - pairs.Count, summary.Dropped.CappedPairs);
        Assert.Equal([new RatingsImportFile("pairs.jsonl", pairs.Select(p => p.User).Distinct().Count(), pairs.Count)], summary.Files);
        Assert.Equal(summary.Files[0].Users, summary.UsersWithPairs);
        Assert.Equal(summary.Users, summary.UsersWithPairs + summary.Dropped.UsersWithoutPairs + summary.Dropped.UsersTooFewRatings);
        Assert.Equal(0, summary.InvalidLines);
    }

    [Fact]
    public async Task The_data_loads_as_a_text_dataset_and_the_extension_keys_survive_a_rewrite()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 12, users: 8);
        await RatingsImporter.ImportAsync(population.WriteRatingsCsv(dir.File("ratings.csv"), withText: true), dir.File("pairs.jsonl"));

        var records = new List<PreferenceRecord>();
        await foreach (var (_, record) in PreferenceJsonl.ReadRecordsAsync(dir.File("pairs.jsonl")))
        {
            records.Add(record);
        }

        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal(["item_chosen", "item_rejected", "rating_chosen", "rating_rejected"], r.ExtensionData!.Keys));
        await PreferenceJsonl.WriteAsync(dir.File("copy.jsonl"), records);
        Assert.Equal(await File.ReadAllTextAsync(dir.File("pairs.jsonl")), await File.ReadAllTextAsync(dir.File("copy.jsonl")));
    }

    [Fact]
    public async Task The_same_input_and_seed_give_byte_identical_output_and_another_seed_samples_differently()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 13);
        var ratings = population.WriteRatingsCsv(dir.File("ratings.csv"));
        var items = population.WriteItemsCsv(dir.File("items.csv"));
        var options = new RatingsImportOptions
        {
            ItemsPath = items,
            Items = new ItemsFileOptions { ListFields = ["genres"], NumericFields = ["year"] },
            WriteVectors = true,
            MaxPairsPerUser = 10,
            Seed = 5,
            Split = new RatingsSplitOptions { ContextPairs = 4 },
        };

        await RatingsImporter.ImportAsync(ratings, dir.File("a"), options);
        await RatingsImporter.ImportAsync(ratings, dir.File("b"), options);
        await RatingsImporter.ImportAsync(ratings, dir.File("c"), options with { Seed = 6 });

        foreach (var file in new[] { RatingsImporter.TrainFile, RatingsImporter.TestSeenFile, RatingsImporter.TestUnseenFile })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir.File("a"), file)), await File.ReadAllBytesAsync(Path.Combine(dir.File("b"), file)));
        }

        Assert.NotEqual(await File.ReadAllBytesAsync(Path.Combine(dir.File("a"), RatingsImporter.TrainFile)), await File.ReadAllBytesAsync(Path.Combine(dir.File("c"), RatingsImporter.TrainFile)));
    }

    [Fact]
    public async Task A_split_never_shares_an_item_between_a_users_training_and_held_out_pairs_nor_between_context_and_queries()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 14, users: 40, minRated: 10, maxRated: 40);
        var output = dir.File("split");
        const int context = 5;
        var summary = await RatingsImporter.ImportAsync(
            population.WriteRatingsCsv(dir.File("ratings.csv"), withText: true),
            output,
            new RatingsImportOptions { MaxPairsPerUser = 30, Split = new RatingsSplitOptions { UnseenUsers = 0.25, HeldOutFraction = 0.3, ContextPairs = context } });

        var train = ImportedPair.ReadAll(Path.Combine(output, RatingsImporter.TrainFile));
        var testSeen = ImportedPair.ReadAll(Path.Combine(output, RatingsImporter.TestSeenFile));
        var testUnseen = ImportedPair.ReadAll(Path.Combine(output, RatingsImporter.TestUnseenFile));
        var lookup = population.Lookup();
        foreach (var pair in train.Concat(testSeen).Concat(testUnseen))
        {
            Assert.Equal(lookup[(pair.User, pair.ItemChosen)], pair.RatingChosen);
            Assert.Equal(lookup[(pair.User, pair.ItemRejected)], pair.RatingRejected);
            Assert.True(pair.RatingChosen - pair.RatingRejected >= 1);
        }

        static HashSet<string> ItemsOf(IEnumerable<ImportedPair> pairs) => pairs.SelectMany(p => new[] { p.ItemChosen, p.ItemRejected }).ToHashSet();
        var seenUsers = train.Select(p => p.User).ToHashSet();
        Assert.True(testSeen.Count > 0 && seenUsers.Count > 0);
        foreach (var user in seenUsers)
        {
            var trained = ItemsOf(train.Where(p => p.User == user));
            var heldOut = ItemsOf(testSeen.Where(p => p.User == user));
            Assert.Empty(trained.Intersect(heldOut));
            Assert.True(train.Count(p => p.User == user) <= 30);
        }

        // 30% of each seen user's items are held out: far fewer pairs than the other 70% allow.
        Assert.True(train.Count > 1.5 * testSeen.Count, $"{train.Count} training pairs vs {testSeen.Count} held-out pairs");

        var unseenUsers = testUnseen.Select(p => p.User).Distinct().ToList();
        Assert.Equal(10, unseenUsers.Count + summary.Dropped.UnseenUsersDropped);
        Assert.Empty(unseenUsers.Intersect(seenUsers));
        Assert.Empty(unseenUsers.Intersect(testSeen.Select(p => p.User)));
        foreach (var user in unseenUsers)
        {
            var records = testUnseen.Where(p => p.User == user).ToList();
            Assert.True(records.Count > context, $"{user} has no query pair after its {context} context pairs");
            Assert.Empty(ItemsOf(records.Take(context)).Intersect(ItemsOf(records.Skip(context))));
        }

        // Each unseen user's records are together, in order.
        var order = testUnseen.Select(p => p.User).ToList();
        Assert.Equal(unseenUsers.Count, order.Where((u, i) => i == 0 || order[i - 1] != u).Count());

        Assert.Equal(
            [(RatingsImporter.TrainFile, seenUsers.Count, train.Count), (RatingsImporter.TestSeenFile, testSeen.Select(p => p.User).Distinct().Count(), testSeen.Count), (RatingsImporter.TestUnseenFile, unseenUsers.Count, testUnseen.Count)],
            summary.Files.Select(f => (f.Name, f.Users, (int)f.Records)));
        Assert.Equal(new RatingsSplitSummary(30, 10 - summary.Dropped.UnseenUsersDropped, 0.3, context), summary.Split);
        Assert.True(summary.Dropped.PairsAcrossSplit > 0, "pairs joining a training and a held-out item exist and are counted");
        Assert.True(File.Exists(Path.Combine(output, RatingsImporter.SummaryFile)));
    }

    [Fact]
    public async Task With_conversations_pairs_stay_within_one_prompt_and_whole_conversations_are_held_out()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.CreateConversations(seed: 15);
        var conversationOf = population.Ratings.ToDictionary(r => r.Item, r => (r.Conversation, r.Prompt));
        var ratings = population.WriteConversationsCsv(dir.File("prism.csv"));

        var summary = await RatingsImporter.ImportAsync(ratings, dir.File("pairs.jsonl"), new RatingsImportOptions { Margin = 10, MaxPairsPerUser = 0 });
        var pairs = ImportedPair.ReadAll(dir.File("pairs.jsonl"));
        Assert.NotEmpty(pairs);
        foreach (var pair in pairs)
        {
            Assert.Equal(conversationOf[pair.ItemChosen], conversationOf[pair.ItemRejected]);
            Assert.Equal(conversationOf[pair.ItemChosen].Conversation, pair.Conversation);
            Assert.Equal(conversationOf[pair.ItemChosen].Prompt, pair.Prompt);
            Assert.True(pair.RatingChosen - pair.RatingRejected >= 10);
        }

        // Every valid within-conversation pair is written (no cap), and none across conversations.
        var expected = population.Ratings.GroupBy(r => r.Conversation).Sum(c =>
        {
            var v = c.Select(r => r.Value).ToArray();
            return v.SelectMany((a, i) => v.Skip(i + 1).Select(b => Math.Abs(a - b) >= 10)).Count(x => x);
        });
        Assert.Equal(expected, pairs.Count);
        Assert.Equal(population.Ratings.Select(r => r.Conversation).Distinct().Count(), summary.Prompts);

        await RatingsImporter.ImportAsync(ratings, dir.File("split"), new RatingsImportOptions { Margin = 10, Split = new RatingsSplitOptions { UnseenUsers = 3, HeldOutFraction = 0.25, ContextPairs = 2 } });
        var train = ImportedPair.ReadAll(Path.Combine(dir.File("split"), RatingsImporter.TrainFile));
        var testSeen = ImportedPair.ReadAll(Path.Combine(dir.File("split"), RatingsImporter.TestSeenFile));
        Assert.NotEmpty(testSeen);
        foreach (var user in train.Select(p => p.User).Distinct())
        {
            var trainedConversations = train.Where(p => p.User == user).Select(p => p.Conversation).ToHashSet();
            Assert.DoesNotContain(testSeen.Where(p => p.User == user), p => trainedConversations.Contains(p.Conversation));
        }
    }

    [Fact]
    public async Task Csv_quoting_keeps_commas_quotes_and_line_breaks_inside_fields()
    {
        using var dir = new TempDirectory();
        var path = dir.File("quoted.csv");
        await File.WriteAllTextAsync(path, "user_id,text,rating\r\n"
            + "\"alice, the first\",\"A reply, with a comma\",5\r\n"
            + "\"alice, the first\",\"She said \"\"no\"\"\",2\r\n"
            + "\"alice, the first\",\"Two\nlines\",4\r\n"
            + "\"alice, the first\", \"spaces around quotes\" ,1\r\n");

        var rows = RatingsReader.Read(path).ToList();
        Assert.Equal(["A reply, with a comma", "She said \"no\"", "Two\nlines", "spaces around quotes"], rows.Select(r => r.Text));
        Assert.All(rows, r => Assert.Equal("alice, the first", r.UserId));
        Assert.Equal([2L, 3L, 4L, 6L], rows.Select(r => r.Line)); // the quoted line break makes line 5 part of line 4's record

        await RatingsImporter.ImportAsync(path, dir.File("pairs.jsonl"), new RatingsImportOptions { MaxPairsPerUser = 0 });
        var pairs = ImportedPair.ReadAll(dir.File("pairs.jsonl"));
        Assert.Contains(pairs, p => p.Chosen == "A reply, with a comma" && p.Rejected == "She said \"no\"" && p.ItemRejected == "She said \"no\"");
        Assert.Equal(6, pairs.Count); // ratings 5, 2, 4, 1 differ by at least 1 in all six pairs
    }

    [Fact]
    public async Task Items_map_ids_to_text_and_field_vectors_whose_layout_the_summary_describes()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 16, users: 10);
        var ratings = population.WriteRatingsCsv(dir.File("ratings.csv"));
        var options = new RatingsImportOptions
        {
            Items = new ItemsFileOptions { ListFields = ["genres"], CategoryFields = ["studio"], NumericFields = ["year"], NumericBuckets = 4 },
            WriteVectors = true,
        };

        var fromCsv = await RatingsImporter.ImportAsync(ratings, dir.File("csv.jsonl"), options with { ItemsPath = population.WriteItemsCsv(dir.File("items.csv")) });
        var fromJsonl = await RatingsImporter.ImportAsync(ratings, dir.File("jsonl.jsonl"), options with { ItemsPath = population.WriteItemsJsonl(dir.File("items.jsonl")) });
        Assert.Equal(await File.ReadAllTextAsync(dir.File("csv.jsonl")), await File.ReadAllTextAsync(dir.File("jsonl.jsonl")));

        var usedGenres = population.Items.SelectMany(i => i.Genres).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["genres", "studio", "year"], fromCsv.VectorLayout.Select(b => b.Field));
        Assert.Equal([ItemVectorBlockKind.MultiHot, ItemVectorBlockKind.OneHot, ItemVectorBlockKind.Buckets], fromCsv.VectorLayout.Select(b => b.Kind));
        Assert.Equal(usedGenres, fromCsv.VectorLayout[0].Labels);
        Assert.Equal(GeneratedRatings.Studios.Order(StringComparer.Ordinal), fromCsv.VectorLayout[1].Labels);
        Assert.Equal(4, fromCsv.VectorLayout[2].Length);
        Assert.Equal(usedGenres.Length + 3 + 4, fromCsv.VectorDimension);
        Assert.Equal(fromCsv.VectorLayout.Select(b => b.Offset), [0, usedGenres.Length, usedGenres.Length + 3]);

        var catalog = ItemCatalog.Load(dir.File("items.csv"), options.Items);
        var edges = fromCsv.VectorLayout[2].Labels;
        var byId = population.Items.ToDictionary(i => i.Id);
        foreach (var pair in ImportedPair.ReadAll(dir.File("csv.jsonl")))
        {
            var item = byId[pair.ItemChosen];
            var vector = pair.ChosenVector!;
            Assert.Equal(fromCsv.VectorDimension, vector.Length);
            for (var g = 0; g < usedGenres.Length; g++)
            {
                Assert.Equal(item.Genres.Contains(usedGenres[g]) ? 1f : 0f, vector[g]);
            }

            Assert.Equal(1f, vector[usedGenres.Length + Array.IndexOf(GeneratedRatings.Studios.Order(StringComparer.Ordinal).ToArray(), item.Studio)]);
            Assert.Equal(1f, vector.Skip(usedGenres.Length + 3).Sum());
            Assert.Equal(1f, vector[usedGenres.Length + 3 + Bucket(item.Year, edges)]);
            var genres = item.Genres.Length > 0 ? $". Genres: {string.Join(", ", item.Genres)}" : string.Empty;
            Assert.Equal($"{item.Title}{genres}. Studio: {item.Studio}", pair.Chosen);
            Assert.True(catalog.TryGet(item.Id, out var known) && known.Vector!.SequenceEqual(vector));
        }
    }

    [Fact]
    public async Task Numeric_buckets_hold_about_equal_numbers_of_items()
    {
        using var dir = new TempDirectory();
        var lines = new StringBuilder("item_id,text,year\n");
        for (var i = 0; i < 100; i++)
        {
            lines.Append($"i{i},Item {i},{1900 + i}\n");
        }

        await File.WriteAllTextAsync(dir.File("items.csv"), lines.ToString());
        var catalog = ItemCatalog.Load(dir.File("items.csv"), new ItemsFileOptions { NumericFields = ["year"], NumericBuckets = 4 });
        Assert.Equal(["< 1925", "[1925, 1950)", "[1950, 1975)", ">= 1975"], catalog.VectorLayout[0].Labels);
        var counts = new int[4];
        for (var i = 0; i < 100; i++)
        {
            Assert.True(catalog.TryGet($"i{i}", out var item));
            counts[Array.IndexOf(item.Vector!, 1f)]++;
        }

        Assert.Equal([25, 25, 25, 25], counts);
    }

    [Fact]
    public async Task MovieLens_files_import_with_u_genre_names_latin1_titles_and_year_buckets()
    {
        using var dir = new TempDirectory();
        // A tiny synthetic file in MovieLens 100k's layout (never the real data): tab-separated u.data without a header,
        // Latin-1 pipe-separated u.item with one flag per genre, and u.genre naming them.
        await File.WriteAllTextAsync(dir.File("u.genre"), "unknown|0\nSpace|1\nWestern|2\n\n");
        var latin1 = Encoding.Latin1;
        await File.WriteAllTextAsync(dir.File("u.item"), string.Join('\n',
            "1|Café Noir (1994)|01-Jan-1994||http://example.invalid/1|0|1|0",
            "2|Two \"Quoted\" Riders|15-Mar-1971||http://example.invalid/2|0|0|1",
            "3|Both Worlds (1999)|01-Jan-1999||http://example.invalid/3|0|1|1",
            "4|Unknown Date (1980)|||http://example.invalid/4|1|0|0") + "\n", latin1);
        await File.WriteAllTextAsync(dir.File("u.data"), "7\t1\t5\t881250949\n7\t2\t1\t881250950\n7\t3\t3\t881250951\n8\t4\t4\t881250952\n8\t1\t2\t881250953\n");

        var summary = await RatingsImporter.ImportAsync(dir.File("u.data"), dir.File("pairs.jsonl"), new RatingsImportOptions
        {
            Ratings = new RatingsFileOptions { ColumnNames = ["user_id", "item_id", "rating", "timestamp"] },
            ItemsPath = dir.File("u.item"),
            Items = new ItemsFileOptions { Format = ItemsFileFormat.MovieLens, NumericBuckets = 2 },
            WriteVectors = true,
            MaxPairsPerUser = 0,
        });

        Assert.Equal("tsv", summary.Format);
        Assert.Equal(["unknown", "Space", "Western"], summary.VectorLayout[0].Labels);
        Assert.Equal(["< 1994", ">= 1994"], summary.VectorLayout[1].Labels);
        var pairs = ImportedPair.ReadAll(dir.File("pairs.jsonl"));
        Assert.Equal(4, pairs.Count); // user 7: 5>1, 5>3, 3>1; user 8: 4>2
        var cafe = pairs.First(p => p.ItemChosen == "1");
        Assert.Equal("Café Noir (1994). Genres: Space", cafe.Chosen);
        Assert.Equal([0f, 1f, 0f, 0f, 1f], cafe.ChosenVector!);
        var riders = pairs.First(p => p.ItemRejected == "2");
        Assert.Equal("Two \"Quoted\" Riders (1971). Genres: Western", riders.Rejected); // the year comes from the date when the title lacks it
        Assert.Equal([0f, 0f, 1f, 1f, 0f], riders.RejectedVector!);
        var unknownDate = pairs.First(p => p.ItemChosen == "4");
        Assert.Equal([1f, 0f, 0f, 0f, 0f], unknownDate.ChosenVector!); // no date: no year bucket
    }

    [Fact]
    public void MovieLens_without_u_genre_uses_the_nineteen_names_of_the_100k_release()
    {
        using var dir = new TempDirectory();
        var flags = string.Join('|', Enumerable.Range(0, 19).Select(g => g is 1 or 5 ? "1" : "0"));
        File.WriteAllText(dir.File("u.item"), $"10|Some Film (1995)|01-Jan-1995||http://example.invalid|{flags}\n", Encoding.Latin1);
        var catalog = ItemCatalog.Load(dir.File("u.item"), new ItemsFileOptions { Format = ItemsFileFormat.MovieLens });
        Assert.Equal(ItemCatalog.MovieLensGenres, catalog.VectorLayout[0].Labels);
        Assert.True(catalog.TryGet("10", out var item));
        Assert.Equal("Some Film (1995). Genres: Action, Comedy", item.Text);
    }

    [Fact]
    public async Task A_user_with_thousands_of_ratings_gets_exactly_the_cap_of_distinct_valid_pairs()
    {
        using var dir = new TempDirectory();
        var random = new Random(4);
        var lines = new StringBuilder("user_id,item_id,rating\n");
        for (var i = 0; i < 3000; i++)
        {
            lines.Append($"heavy,i{i},{random.Next(1, 6)}\n");
        }

        lines.Append("light,i1,1\nlight,i2,5\n");
        await File.WriteAllTextAsync(dir.File("heavy.csv"), lines.ToString());
        await File.WriteAllTextAsync(dir.File("items.csv"), "item_id,text\n" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"i{i},Item {i}\n")));
        var summary = await RatingsImporter.ImportAsync(dir.File("heavy.csv"), dir.File("pairs.jsonl"), new RatingsImportOptions { ItemsPath = dir.File("items.csv"), MaxPairsPerUser = 500 });

        var heavy = ImportedPair.ReadAll(dir.File("pairs.jsonl")).Where(p => p.User == "heavy").ToList();
        Assert.Equal(500, heavy.Count);
        Assert.Equal(500, heavy.Select(p => (p.ItemChosen, p.ItemRejected)).Distinct().Count());
        Assert.All(heavy, p => Assert.True(p.RatingChosen - p.RatingRejected >= 1));
        Assert.Equal(501, summary.Pairs);
        Assert.Equal((3000L * 2999 / 2) + 1, summary.Pairs + summary.Dropped.TiePairs + summary.Dropped.CappedPairs);
    }

    [Fact]
    public void The_sampler_draws_every_valid_pair_with_equal_probability()
    {
        // Six distinct ratings and margin 1: 15 valid pairs; a cap of 5 takes each with probability 1/3.
        var counts = new Dictionary<(int, int), int>();
        var output = new List<(int Chosen, int Rejected)>();
        const int draws = 3000;
        for (var seed = 0; seed < draws; seed++)
        {
            PairCandidate[] candidates = [.. Enumerable.Range(0, 6).Select(i => new PairCandidate(i, -1, 6 - i))];
            output.Clear();
            var tally = PairSampler.Sample(candidates, 1, 5, new Random(seed), output);
            Assert.Equal(new PairTally(15, 15, 5), tally);
            foreach (var pair in output)
            {
                Assert.True(pair.Chosen < pair.Rejected, "the higher rating (lower index here) is chosen");
                counts[pair] = counts.GetValueOrDefault(pair) + 1;
            }
        }

        Assert.Equal(15, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c / (double)draws, 1 / 3.0 - 0.04, 1 / 3.0 + 0.04));
    }

    [Fact]
    public async Task Jsonl_ratings_with_numeric_ids_import_like_their_csv_twin()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 17, users: 6);
        var items = population.WriteItemsCsv(dir.File("items.csv"));
        await RatingsImporter.ImportAsync(population.WriteRatingsCsv(dir.File("ratings.csv")), dir.File("csv.jsonl"), new RatingsImportOptions { ItemsPath = items });
        await RatingsImporter.ImportAsync(population.WriteRatingsJsonl(dir.File("ratings.jsonl")), dir.File("jsonl.jsonl"), new RatingsImportOptions { ItemsPath = items });
        Assert.Equal(await File.ReadAllTextAsync(dir.File("csv.jsonl")), await File.ReadAllTextAsync(dir.File("jsonl.jsonl")));

        await File.WriteAllTextAsync(dir.File("numbers.jsonl"), """
            {"user_id": 42, "item_id": 7, "rating": 4.5, "text": "seven"}
            {"user_id": 42, "item_id": 8, "rating": "2", "text": "eight"}
            """);
        var rows = RatingsReader.Read(dir.File("numbers.jsonl")).ToList();
        Assert.Equal([("42", "7", 4.5), ("42", "8", 2.0)], rows.Select(r => (r.UserId, r.ItemId!, r.Rating)));
    }

    [Fact]
    public async Task Skipping_invalid_lines_counts_them_by_reason_and_writes_what_the_clean_file_gives()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 18, users: 10);
        var items = population.WriteItemsCsv(dir.File("items.csv"));
        var clean = population.WriteRatingsCsv(dir.File("clean.csv"));
        var lines = File.ReadAllLines(clean).ToList();
        lines.Insert(3, "user 1,m1,abc,1");
        lines.Insert(6, ",m2,3,1");
        lines.Insert(9, "user 2,no-such-item,3,1");
        lines.Insert(12, "user 3,m4,NaN,1");
        var first = population.Ratings[0];
        lines.Add($"{first.User},{first.Item},1,1"); // a repeat of the first rating: the first is kept
        await File.WriteAllLinesAsync(dir.File("dirty.csv"), lines);

        var options = new RatingsImportOptions { ItemsPath = items, Seed = 2 };
        await RatingsImporter.ImportAsync(clean, dir.File("clean.jsonl"), options);
        var summary = await RatingsImporter.ImportAsync(dir.File("dirty.csv"), dir.File("dirty.jsonl"), options with { SkipInvalid = true });

        Assert.Equal(await File.ReadAllTextAsync(dir.File("clean.jsonl")), await File.ReadAllTextAsync(dir.File("dirty.jsonl")));
        Assert.Equal(5, summary.InvalidLines);
        Assert.Equal(
            new Dictionary<string, long> { ["invalid_user_id"] = 1, ["unknown_item"] = 1, ["invalid_rating"] = 1, ["non_finite_value"] = 1, ["duplicate_rating"] = 1 },
            summary.InvalidLinesByReason);
        Assert.StartsWith("dirty.csv, line 4, column 3 (rating): 'abc' is not a number", summary.FirstInvalidLine, StringComparison.Ordinal);
        Assert.Equal(population.Ratings.Count, summary.Ratings);
    }

    [Fact]
    public async Task A_failed_import_leaves_nothing_at_the_output()
    {
        using var dir = new TempDirectory();
        var population = GeneratedRatings.Create(seed: 19, users: 6);
        var lines = File.ReadAllLines(population.WriteRatingsCsv(dir.File("ratings.csv"))).ToList();
        lines.Add($"{population.Ratings[0].User},{population.Ratings[0].Item},2,1");
        await File.WriteAllLinesAsync(dir.File("repeat.csv"), lines);

        await Assert.ThrowsAsync<InvalidRatingsDataException>(() => RatingsImporter.ImportAsync(
            dir.File("repeat.csv"), dir.File("split"), new RatingsImportOptions { ItemsPath = population.WriteItemsCsv(dir.File("items.csv")), Split = new RatingsSplitOptions() }));
        Assert.False(Directory.Exists(dir.File("split")) && Directory.EnumerateFileSystemEntries(dir.File("split")).Any());
    }

    private static int Bucket(int year, IReadOnlyList<string> labels)
    {
        // Labels read "< a", "[a, b)", ..., ">= z": the bucket is the number of lower edges at or below the year.
        var edges = labels.Skip(1).Select(l => int.Parse(l.TrimStart('[', '>', '=', ' ').Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return edges.Count(e => e <= year);
    }
}
