using System.Text;
using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

/// <summary>Every field of a ratings or items file, when bad, fails with its file, line and column named.</summary>
public class RatingsBadInputTests
{
    private const string Header = "user_id,item_id,rating\n";
    private const string Good = "u1,i1,4\n";
    private const string Items = "item_id,text,year\ni1,One,1990\ni2,Two,1991\n";

    private static readonly Dictionary<string, Case> Cases = new Case[]
    {
        new("bad rating", "ratings.csv", Header + Good + "u1,i2,abc\n", RatingsDataError.InvalidRating, "ratings.csv, line 3, column 3 (rating): 'abc' is not a number"),
        new("empty rating", "ratings.csv", Header + Good + "u1,i2,\n", RatingsDataError.InvalidRating, "ratings.csv, line 3, column 3 (rating): the rating is empty"),
        new("NaN rating", "ratings.csv", Header + Good + "u1,i2,NaN\n", RatingsDataError.NonFiniteValue, "ratings.csv, line 3, column 3 (rating): the rating is NaN or infinite"),
        new("infinite rating", "ratings.csv", Header + Good + "u1,i2,1e999\n", RatingsDataError.NonFiniteValue, "ratings.csv, line 3, column 3 (rating): the rating is NaN or infinite"),
        new("empty user id", "ratings.csv", Header + Good + " ,i2,3\n", RatingsDataError.InvalidUserId, "ratings.csv, line 3, column 1 (user_id): the user id is empty"),
        new("too long user id", "ratings.csv", Header + Good + new string('u', 300) + ",i2,3\n", RatingsDataError.InvalidUserId, "ratings.csv, line 3, column 1 (user_id): user_id is longer than 256"),
        new("empty item id", "ratings.csv", Header + Good + "u1,,3\n", RatingsDataError.MissingItem, "ratings.csv, line 3, column 2 (item_id): the item id is empty"),
        new("unknown item", "ratings.csv", Header + Good + "u1,zz,3\n", RatingsDataError.UnknownItem, "ratings.csv, line 3, column 2 (item_id): item 'zz' is not in the items file items.csv", ItemsContent: Items),
        new("missing user column", "ratings.csv", "user,item_id,rating\n" + Good, RatingsDataError.MissingColumn, "ratings.csv, line 1: the header has no column 'user_id'; columns: user, item_id, rating"),
        new("missing named column", "ratings.csv", Header + Good, RatingsDataError.MissingColumn, "ratings.csv, line 1: the header has no column 'score'", Options: o => o with { Ratings = o.Ratings with { RatingColumn = "score" } }),
        new("missing named prompt column", "ratings.csv", Header + Good, RatingsDataError.MissingColumn, "ratings.csv, line 1: the header has no column 'question'", Options: o => o with { Ratings = o.Ratings with { PromptColumn = "question" } }),
        new("no item column", "ratings.csv", "user_id,rating\nu1,4\n", RatingsDataError.MissingColumn, "ratings.csv, line 1: the header has no column 'item_id' or 'text'"),
        new("headerless names lack a column", "u.data", "1\t2\t3\t4\n", RatingsDataError.MissingColumn, "u.data: the column names given have no column 'rating'", Options: o => o with { Ratings = o.Ratings with { ColumnNames = ["user_id", "item_id", "stars", "timestamp"] } }),
        new("too many columns", "ratings.csv", Header + Good + "u1,i2,3,extra\n", RatingsDataError.MalformedLine, "ratings.csv, line 3: expected 3 columns (user_id, item_id, rating) separated by ',', found 4"),
        new("too few columns", "u.data", "1\t2\t3\t4\n5\t6\t7\n", RatingsDataError.MalformedLine, "u.data, line 2: expected 4 columns (user_id, item_id, rating, timestamp) separated by '\\t', found 3", Options: o => o with { Ratings = o.Ratings with { ColumnNames = ["user_id", "item_id", "rating", "timestamp"] } }),
        new("stray quote", "ratings.csv", Header + Good + "u1,i\"2,3\nu2,i1,4\n", RatingsDataError.MalformedLine, "ratings.csv, line 3, column 2 (item_id): a quote inside an unquoted field"),
        new("unclosed quote", "ratings.csv", Header + Good + "u1,\"i2,3\nu2,i1,4\n", RatingsDataError.MalformedLine, "ratings.csv, line 3, column 2 (item_id): a quoted field is never closed"),
        new("text after a closing quote", "ratings.csv", Header + Good + "u1,\"i2\"x,3\n", RatingsDataError.MalformedLine, "ratings.csv, line 3, column 2 (item_id): text after the closing quote"),
        new("repeated rating", "ratings.csv", Header + Good + "u1,i2,2\nu1,i1,5\n", RatingsDataError.DuplicateRating, "ratings.csv, line 4, column 2 (item_id): user 'u1' already rated item 'i1' (on line 2)", ItemsContent: Items),
        new("item without text", "ratings.csv", Header + Good + "u1,i2,2\n", RatingsDataError.MissingItem, "ratings.csv, line 2, column 2 (item_id): item 'i1' has no text"),
        new("empty file", "ratings.csv", string.Empty, RatingsDataError.Empty, "ratings.csv: the file is empty (no header line)"),
        new("header only", "ratings.csv", Header, RatingsDataError.Empty, "ratings.csv: the file holds no rating"),
        new("not UTF-8", "ratings.csv", Header + "u\u00ff1,i1,4\n", RatingsDataError.Unreadable, "ratings.csv: the file is not valid UTF-8", Latin1: true),
        new("invalid JSON", "ratings.jsonl", "{\"user_id\":\"u1\",\"item_id\":\"i1\",\"rating\":4}\n{\"user_id\":\"u1\",\"item_id\"\n", RatingsDataError.MalformedLine, "ratings.jsonl, line 2: invalid JSON"),
        new("JSON NaN", "ratings.jsonl", "{\"user_id\":\"u1\",\"item_id\":\"i1\",\"rating\":NaN}\n", RatingsDataError.MalformedLine, "ratings.jsonl, line 1: invalid JSON (NaN and Infinity are not JSON numbers)"),
        new("JSON rating of the wrong type", "ratings.jsonl", "{\"user_id\":\"u1\",\"item_id\":\"i1\",\"rating\":4}\n\n{\"user_id\":\"u1\",\"item_id\":\"i2\",\"rating\":true}\n", RatingsDataError.InvalidRating, "ratings.jsonl, line 3, key 'rating': the rating must be a number, found true"),
        new("JSON missing rating", "ratings.jsonl", "{\"user_id\":\"u1\",\"item_id\":\"i1\"}\n", RatingsDataError.MissingColumn, "ratings.jsonl, line 1, key 'rating': the object has no key 'rating'"),
        new("JSON user of the wrong type", "ratings.jsonl", "{\"user_id\":[1],\"item_id\":\"i1\",\"rating\":3}\n", RatingsDataError.InvalidUserId, "ratings.jsonl, line 1, key 'user_id': expected a string or a number, found array"),
        new("JSON without user", "ratings.jsonl", "{\"item_id\":\"i1\",\"rating\":3}\n", RatingsDataError.MissingColumn, "ratings.jsonl, line 1, key 'user_id': the object has no key 'user_id'"),
        new("JSON without item", "ratings.jsonl", "{\"user_id\":\"u1\",\"rating\":3}\n", RatingsDataError.MissingItem, "ratings.jsonl, line 1, key 'text': the line has neither an item id nor an item text"),
        new("repeated item id", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "items.csv, line 3, column 1 (item_id): item id 'i1' is repeated (first on line 2)", ItemsContent: "item_id,text\ni1,One\ni1,Again\n"),
        new("item year not a number", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "items.csv, line 3, column 3 (year): 'soon' is not a number", ItemsContent: "item_id,text,year\ni1,One,1990\ni2,Two,soon\n", Options: o => o with { Items = o.Items with { NumericFields = ["year"] } }),
        new("item year NaN", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "items.csv, line 2, column 3 (year): the value is NaN or infinite", ItemsContent: "item_id,text,year\ni1,One,NaN\n", Options: o => o with { Items = o.Items with { NumericFields = ["year"] } }),
        new("empty item text", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "items.csv, line 2, column 2 (text): the item text is empty", ItemsContent: "item_id,text\ni1,\n"),
        new("empty id in the items file", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "items.csv, line 3, column 1 (item_id): the item id is empty", ItemsContent: "item_id,text\ni1,One\n,Two\n"),
        new("items lack a named field", "ratings.csv", Header + Good, RatingsDataError.MissingColumn, "items.csv, line 1: the header has no column 'genres'", ItemsContent: Items, Options: o => o with { Items = o.Items with { ListFields = ["genres"] } }),
        new("JSONL item list of objects", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "items.jsonl, line 1, key 'genres': a list field holds only strings or numbers", ItemsFile: "items.jsonl", ItemsContent: "{\"item_id\":\"i1\",\"text\":\"One\",\"genres\":[{}]}\n", Options: o => o with { Items = o.Items with { ListFields = ["genres"] } }),
        new("MovieLens genre flag", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "u.item, line 2, column 7 (Space): a genre flag is 0 or 1, found '2'", ItemsFile: "u.item", ItemsContent: "i1|One (1990)|01-Jan-1990||url|0|1|0\ni2|Two (1991)|01-Jan-1991||url|0|2|0\n", Options: MovieLens),
        new("MovieLens date", "ratings.csv", Header + Good, RatingsDataError.InvalidItem, "u.item, line 1, column 3 (release date): 'Jan-19' is not a date ending in a year", ItemsFile: "u.item", ItemsContent: "i1|One|Jan-19||url|0|1|0\n", Options: MovieLens),
        new("MovieLens field count", "ratings.csv", Header + Good, RatingsDataError.MalformedLine, "u.item, line 1: expected 8 fields separated by '|'", ItemsFile: "u.item", ItemsContent: "i1|One (1990)|01-Jan-1990||url|0|1\n", Options: MovieLens),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_bad_field_is_an_error_naming_file_line_and_column(string name)
    {
        var @case = Cases[name];
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir.File(@case.RatingsFile), @case.RatingsContent, @case.Latin1 ? Encoding.Latin1 : new UTF8Encoding(false));
        var options = new RatingsImportOptions();
        if (@case.ItemsContent is { } items)
        {
            await File.WriteAllTextAsync(dir.File(@case.ItemsFile), items);
            await File.WriteAllTextAsync(dir.File("u.genre"), "unknown|0\nSpace|1\nWestern|2\n");
            options = options with { ItemsPath = dir.File(@case.ItemsFile) };
        }

        options = @case.Options?.Invoke(options) ?? options;
        var error = await Assert.ThrowsAsync<InvalidRatingsDataException>(() => RatingsImporter.ImportAsync(dir.File(@case.RatingsFile), dir.File("out.jsonl"), options));
        Assert.Equal(@case.Error, error.Error);
        Assert.StartsWith(@case.Message, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("out.jsonl")), "nothing is written when the import fails");
        Assert.False(File.Exists(dir.File("out.jsonl.partial")));
    }

    [Fact]
    public void Options_out_of_range_are_argument_errors_naming_the_option()
    {
        Assert.Contains("Margin", Assert.ThrowsAny<ArgumentException>(() => new RatingsImportOptions { Margin = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Margin", Assert.ThrowsAny<ArgumentException>(() => new RatingsImportOptions { Margin = double.NaN }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("MaxPairsPerUser", Assert.ThrowsAny<ArgumentException>(() => new RatingsImportOptions { MaxPairsPerUser = -1 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("WriteVectors", Assert.ThrowsAny<ArgumentException>(() => new RatingsImportOptions { WriteVectors = true }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("UnseenUsers", Assert.ThrowsAny<ArgumentException>(() => new RatingsSplitOptions { UnseenUsers = 2.5 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("HeldOutFraction", Assert.ThrowsAny<ArgumentException>(() => new RatingsSplitOptions { HeldOutFraction = 1 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("ContextPairs", Assert.ThrowsAny<ArgumentException>(() => new RatingsSplitOptions { ContextPairs = -1 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("NumericBuckets", Assert.ThrowsAny<ArgumentException>(() => new ItemsFileOptions { NumericBuckets = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("fixed fields", Assert.ThrowsAny<ArgumentException>(() => new ItemsFileOptions { Format = ItemsFileFormat.MovieLens, ListFields = ["genres"] }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("ColumnNames", Assert.ThrowsAny<ArgumentException>(() => new RatingsFileOptions { ColumnNames = ["user_id", " "] }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_split_asking_for_every_user_as_unseen_is_refused()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir.File("r.csv"), "user_id,text,rating\na,x,1\na,y,5\nb,x,2\nb,y,4\n");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => RatingsImporter.ImportAsync(dir.File("r.csv"), dir.File("split"), new RatingsImportOptions { Split = new RatingsSplitOptions { UnseenUsers = 2 } }));
        Assert.Contains("2 unseen users, but only 2 users", error.Message, StringComparison.Ordinal);
    }

    private static RatingsImportOptions MovieLens(RatingsImportOptions options) => options with { Items = options.Items with { Format = ItemsFileFormat.MovieLens } };

    private sealed record Case(
        string Name,
        string RatingsFile,
        string RatingsContent,
        RatingsDataError Error,
        string Message,
        string ItemsFile = "items.csv",
        string? ItemsContent = null,
        Func<RatingsImportOptions, RatingsImportOptions>? Options = null,
        bool Latin1 = false);
}
