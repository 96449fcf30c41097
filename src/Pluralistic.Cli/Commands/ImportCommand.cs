using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pluralistic.Cli.Output;
using Pluralistic.Data;
using Spectre.Console;

namespace Pluralistic.Cli.Commands;

/// <summary><c>pluralistic import</c>: turns other kinds of data into preference pairs of the JSONL contract.</summary>
internal static class ImportCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("import", "Turn other kinds of data into preference pairs of the JSONL contract.");
        command.Subcommands.Add(CreateRatings(environment));
        return command;
    }

    private static Command CreateRatings(CliEnvironment environment)
    {
        var data = CommonOptions.Data("The ratings file: CSV, TSV or JSONL, one rating of one item by one user per line.");
        var items = new Option<FileInfo?>("--items") { Description = "An items file mapping item ids to text and fields (CSV, TSV, JSONL, or MovieLens u.item with --items-format movielens)." };
        var output = new Option<string>("--out") { Description = "The JSONL file to write; with --split, the directory for train.jsonl, test_seen.jsonl and test_unseen.jsonl.", Required = true };
        var margin = new Option<double>("--margin")
        {
            Description = "Two ratings make a pair only when they differ by at least this much (smaller differences are ties and are dropped).",
            DefaultValueFactory = _ => RatingsImportOptions.DefaultMargin,
        };
        var maxPairs = new Option<int>("--max-pairs-per-user")
        {
            Description = "At most this many pairs per user in each file, sampled uniformly by seed (0: every pair).",
            DefaultValueFactory = _ => RatingsImportOptions.DefaultMaxPairsPerUser,
        };
        var seed = CommonOptions.Seed();
        var format = new Option<string>("--format") { Description = "The ratings file's format: auto (by extension, else by content), csv, tsv or jsonl.", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong("auto", "csv", "tsv", "jsonl");
        var separator = new Option<string?>("--separator") { Description = "A field separator other than the format's (one character, or 'tab')." };
        var columns = new Option<string?>("--columns")
        {
            Description = "The file has no header: its column names in order, e.g. MovieLens u.data: user_id,item_id,rating,timestamp.",
        };
        var userColumn = new Option<string>("--user-column") { Description = "The user column.", DefaultValueFactory = _ => RatingsFileOptions.DefaultUserColumn };
        var itemColumn = new Option<string?>("--item-column") { Description = $"The item id column (default: '{RatingsFileOptions.DefaultItemColumn}' when present)." };
        var textColumn = new Option<string?>("--text-column") { Description = $"The item text column (default: '{RatingsFileOptions.DefaultTextColumn}' when present)." };
        var ratingColumn = new Option<string>("--rating-column") { Description = "The rating column.", DefaultValueFactory = _ => RatingsFileOptions.DefaultRatingColumn };
        var promptColumn = new Option<string?>("--prompt-column")
        {
            Description = $"The prompt column: pairs only within one prompt, written as 'prompt' (default: '{RatingsFileOptions.DefaultPromptColumn}' when present).",
        };
        var conversationColumn = new Option<string?>("--conversation-column")
        {
            Description = $"The conversation id column: pairs only within one conversation (default: '{RatingsFileOptions.DefaultConversationColumn}' when present).",
        };
        var itemsFormat = new Option<string>("--items-format")
        {
            Description = "The items file's format: auto, csv, tsv, jsonl, or movielens (u.item: id|title|release date|video release date|IMDb URL|genre flags; genre names from u.genre beside it).",
            DefaultValueFactory = _ => "auto",
        };
        itemsFormat.AcceptOnlyFromAmong("auto", "csv", "tsv", "jsonl", "movielens");
        var itemsSeparator = new Option<string?>("--items-separator") { Description = "A field separator for the items file other than its format's." };
        var itemIdColumn = new Option<string>("--item-id-column") { Description = "The items file's id column.", DefaultValueFactory = _ => ItemsFileOptions.DefaultIdColumn };
        var itemTextColumn = new Option<string?>("--item-text-column") { Description = $"The items file's text column (default: '{ItemsFileOptions.DefaultTextColumn}' when present)." };
        var listFields = new Option<string?>("--list-fields") { Description = "Items fields holding lists (e.g. genres): multi-hot vector blocks, and named in the text." };
        var categoryFields = new Option<string?>("--category-fields") { Description = "Items fields holding one category: one-hot vector blocks, and named in the text." };
        var numericFields = new Option<string?>("--numeric-fields") { Description = "Numeric items fields (e.g. year): one-hot blocks of equal-frequency buckets." };
        var listSeparator = new Option<string?>("--list-separator") { Description = "Joins a list field's values in a CSV/TSV items file (default '|')." };
        var buckets = new Option<int?>("--numeric-buckets") { Description = "Buckets per numeric field (default 8)." };
        var itemsEncoding = new Option<string?>("--items-encoding") { Description = "The items file's encoding: utf-8 or latin1 (default utf-8; latin1 for movielens)." };
        itemsEncoding.AcceptOnlyFromAmong("utf-8", "latin1");
        var vectors = new Option<bool>("--vectors") { Description = "Also write chosen_embedding/rejected_embedding: the items' field vectors (multi-hot lists, one-hot categories and buckets)." };
        var split = new Option<bool>("--split") { Description = "Write a directory: train.jsonl (seen users), test_seen.jsonl (their pairs over held-out items) and test_unseen.jsonl (unseen users, context pairs first)." };
        var unseenUsers = new Option<double?>("--unseen-users") { Description = "With --split: users held out of training, a fraction below 1 or a count (default 0.2)." };
        var heldOut = new Option<double?>("--held-out") { Description = "With --split: the fraction of each seen user's items (or conversations) held out for test_seen.jsonl (default 0.2)." };
        var contextPairs = new Option<int?>("--context-pairs") { Description = "With --split: context pairs opening each unseen user's records, over items their query pairs do not use (default 10)." };
        var skipInvalid = CommonOptions.SkipInvalid();
        var json = CommonOptions.Json();

        var command = new Command("ratings", "Turn per-user ratings into preference pairs: within a user (and a prompt), a higher rating beats a lower one by at least the margin.")
        {
            data, items, output, margin, maxPairs, seed, format, separator, columns, userColumn, itemColumn, textColumn, ratingColumn, promptColumn,
            conversationColumn, itemsFormat, itemsSeparator, itemIdColumn, itemTextColumn, listFields, categoryFields, numericFields, listSeparator,
            buckets, itemsEncoding, vectors, split, unseenUsers, heldOut, contextPairs, skipInvalid, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var quiet = parse.GetValue(json);
            var splitDefaults = new RatingsSplitOptions();
            var splitAsked = parse.GetValue(split);
            if (!splitAsked && (parse.GetValue(unseenUsers) is not null || parse.GetValue(heldOut) is not null || parse.GetValue(contextPairs) is not null))
            {
                throw new ArgumentException("--unseen-users, --held-out and --context-pairs describe a split: add --split");
            }

            var itemDefaults = new ItemsFileOptions();
            var options = new RatingsImportOptions
            {
                Ratings = new RatingsFileOptions
                {
                    Format = Enum.Parse<RatingsFileFormat>(parse.GetValue(format)!, ignoreCase: true),
                    Separator = Separator(parse.GetValue(separator), "--separator"),
                    ColumnNames = CliData.SplitList(parse.GetValue(columns)),
                    UserColumn = parse.GetValue(userColumn)!,
                    ItemColumn = parse.GetValue(itemColumn),
                    TextColumn = parse.GetValue(textColumn),
                    RatingColumn = parse.GetValue(ratingColumn)!,
                    PromptColumn = parse.GetValue(promptColumn),
                    ConversationColumn = parse.GetValue(conversationColumn),
                },
                ItemsPath = parse.GetValue(items)?.FullName,
                Items = itemDefaults with
                {
                    Format = Enum.Parse<ItemsFileFormat>(parse.GetValue(itemsFormat)!, ignoreCase: true),
                    Separator = Separator(parse.GetValue(itemsSeparator), "--items-separator"),
                    IdColumn = parse.GetValue(itemIdColumn)!,
                    TextColumn = parse.GetValue(itemTextColumn),
                    ListFields = CliData.SplitList(parse.GetValue(listFields)) ?? [],
                    CategoryFields = CliData.SplitList(parse.GetValue(categoryFields)) ?? [],
                    NumericFields = CliData.SplitList(parse.GetValue(numericFields)) ?? [],
                    ListSeparator = Separator(parse.GetValue(listSeparator), "--list-separator") ?? itemDefaults.ListSeparator,
                    NumericBuckets = parse.GetValue(buckets) ?? itemDefaults.NumericBuckets,
                    Encoding = parse.GetValue(itemsEncoding) switch
                    {
                        "latin1" => Encoding.Latin1,
                        "utf-8" => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true),
                        _ => null,
                    },
                },
                Margin = parse.GetValue(margin),
                MaxPairsPerUser = parse.GetValue(maxPairs),
                Seed = parse.GetValue(seed),
                WriteVectors = parse.GetValue(vectors),
                SkipInvalid = parse.GetValue(skipInvalid),
                Split = splitAsked
                    ? splitDefaults with
                    {
                        UnseenUsers = parse.GetValue(unseenUsers) ?? splitDefaults.UnseenUsers,
                        HeldOutFraction = parse.GetValue(heldOut) ?? splitDefaults.HeldOutFraction,
                        ContextPairs = parse.GetValue(contextPairs) ?? splitDefaults.ContextPairs,
                    }
                    : null,
            };

            var ratingsFile = parse.GetValue(data)!;
            var outPath = parse.GetValue(output)!;
            var inputs = new (string, string?)[] { ("--data", ratingsFile.FullName), ("--items", parse.GetValue(items)?.FullName) };
            foreach (var written in splitAsked ? new[] { RatingsImporter.TrainFile, RatingsImporter.TestSeenFile, RatingsImporter.TestUnseenFile, RatingsImporter.SummaryFile }.Select(f => Path.Combine(outPath, f)) : [outPath])
            {
                OutputPaths.EnsureSafe("--out", written, inputs, []);
            }

            var stopwatch = Stopwatch.StartNew();
            var summary = await RatingsImporter.ImportAsync(
                ratingsFile.FullName, parse.GetValue(output)!, options, quiet ? null : new ImportMilestones(environment.Console), cancellationToken).ConfigureAwait(false);
            stopwatch.Stop();
            if (quiet)
            {
                await CliJson.WriteAsync(environment.Json, summary, CliJsonContext.Default.RatingsImportSummary).ConfigureAwait(false);
                return 0;
            }

            Print(environment.Console, summary, stopwatch.Elapsed);
            return 0;
        });
        return command;
    }

    private static char? Separator(string? value, string option) => value switch
    {
        null => null,
        "tab" or "\\t" or "\t" => '\t',
        { Length: 1 } => value[0],
        _ => throw new ArgumentException($"{option}: give one character (or 'tab'), not '{value}'"),
    };

    private static void Print(IAnsiConsole console, RatingsImportSummary summary, TimeSpan elapsed)
    {
        static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
        var prompts = summary.Prompts > 0 ? $" in {N(summary.Prompts)} prompts/conversations" : string.Empty;
        console.MarkupLine(
            $"Read {N(summary.Ratings)} ratings of {N(summary.Users)} users and {N(summary.Items)} items{prompts} from {Markup.Escape(Path.GetFileName(summary.RatingsFile))} ({summary.Format}) in {elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        if (summary.InvalidLines > 0 || summary.InvalidItemLines > 0)
        {
            var reasons = string.Join(", ", summary.InvalidLinesByReason.Select(r => $"{r.Key.Replace('_', ' ')} {N(r.Value)}"));
            console.MarkupLine($"[yellow]skipped {N(summary.InvalidLines)} invalid ratings line(s)[/]{(reasons.Length > 0 ? $" ({Markup.Escape(reasons)})" : string.Empty)}"
                + (summary.InvalidItemLines > 0 ? $" and {N(summary.InvalidItemLines)} invalid items line(s)" : string.Empty));
            if (summary.FirstInvalidLine is { } first)
            {
                console.MarkupLine($"[grey]first: {Markup.Escape(first)}[/]");
            }
        }

        var form = (summary.Text, summary.VectorDimension) switch
        {
            (true, > 0) => $"text and {summary.VectorDimension}-dimensional item vectors",
            (false, > 0) => $"{summary.VectorDimension}-dimensional item vectors",
            _ => "text",
        };
        console.MarkupLine($"Wrote {N(summary.Pairs)} pairs ({form}) of {N(summary.UsersWithPairs)} users to {Markup.Escape(summary.Output)}");
        var files = new Table().AddColumns("file", "users", "pairs");
        foreach (var file in summary.Files)
        {
            files.AddRow(Markup.Escape(file.Name), N(file.Users), N(file.Records));
        }

        console.Write(files);
        var margin = summary.Margin.ToString("G", CultureInfo.InvariantCulture);
        var dropped = new Table().AddColumns("dropped", "count");
        dropped.AddRow($"tie pairs (ratings less than {margin} apart)", N(summary.Dropped.TiePairs));
        dropped.AddRow(summary.MaxPairsPerUser > 0 ? $"pairs over the cap of {N(summary.MaxPairsPerUser)} per user and file" : "pairs over the cap (no cap)", N(summary.Dropped.CappedPairs));
        dropped.AddRow("users with fewer than 2 ratings", N(summary.Dropped.UsersTooFewRatings));
        dropped.AddRow("users whose ratings gave no pair", N(summary.Dropped.UsersWithoutPairs));
        if (summary.Split is not null)
        {
            dropped.AddRow("pairs across the split (training-held-out or context-query items)", N(summary.Dropped.PairsAcrossSplit));
            dropped.AddRow("unseen users without K context pairs and a query over other items", N(summary.Dropped.UnseenUsersDropped));
            if (summary.Prompts > 0)
            {
                dropped.AddRow("ratings of an item already in the user's other part", N(summary.Dropped.SharedItemRatings));
            }
        }

        console.Write(dropped);
        if (summary.VectorLayout.Count > 0)
        {
            var layout = new Table().AddColumns("dimensions", "field", "encoding", "values");
            foreach (var block in summary.VectorLayout)
            {
                var values = string.Join(", ", block.Labels.Take(8)) + (block.Labels.Count > 8 ? ", ..." : string.Empty);
                var encoding = block.Kind switch
                {
                    ItemVectorBlockKind.MultiHot => "multi-hot",
                    ItemVectorBlockKind.OneHot => "one-hot",
                    _ => "buckets",
                };
                layout.AddRow($"{block.Offset}-{block.Offset + block.Length - 1}", Markup.Escape(block.Field), encoding, Markup.Escape(values));
            }

            console.Write(layout);
        }
    }

    /// <summary>One line when reading is under way and one when writing starts (reports arrive from the import's thread).</summary>
    private sealed class ImportMilestones(IAnsiConsole console) : IProgress<RatingsImportProgress>
    {
        private readonly Lock _gate = new();
        private string? _phase;
        private long _nextLines = 1_000_000;

        public void Report(RatingsImportProgress value)
        {
            lock (_gate)
            {
                if (value.Phase == "reading" && value.Done >= _nextLines)
                {
                    _nextLines += 1_000_000;
                    console.MarkupLine(Markup.Escape($"  read {value.Done.ToString("N0", CultureInfo.InvariantCulture)} lines"));
                }

                if (value.Phase != _phase && value.Phase == "writing")
                {
                    console.MarkupLine(Markup.Escape($"  pairing and writing {value.Total?.ToString("N0", CultureInfo.InvariantCulture)} users"));
                }

                _phase = value.Phase;
            }
        }
    }
}
