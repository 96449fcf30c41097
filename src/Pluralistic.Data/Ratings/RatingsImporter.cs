using System.Text.Json;

namespace Pluralistic.Data;

/// <summary>
/// Turns a ratings file into preference pairs of the JSONL contract: within each user (and within one prompt or
/// conversation when the ratings have them), two ratings that differ by at least the margin make a pair whose higher
/// rating is chosen; smaller differences are ties and are dropped; a per-user cap samples pairs uniformly by seed.
/// Records carry the items' text and/or field vectors and the extension keys <c>item_chosen</c>,
/// <c>item_rejected</c>, <c>rating_chosen</c>, <c>rating_rejected</c>. With a split, a directory receives
/// <c>train.jsonl</c>, <c>test_seen.jsonl</c> (seen users' pairs over items held out of their training pairs) and
/// <c>test_unseen.jsonl</c> (unseen users: context pairs first, then query pairs over other items).
/// </summary>
public static class RatingsImporter
{
    /// <summary>The training file of a split.</summary>
    public const string TrainFile = "train.jsonl";

    /// <summary>The seen users' held-out pairs of a split.</summary>
    public const string TestSeenFile = "test_seen.jsonl";

    /// <summary>The unseen users' context and query pairs of a split.</summary>
    public const string TestUnseenFile = "test_unseen.jsonl";

    /// <summary>The summary written beside a split.</summary>
    public const string SummaryFile = "import_summary.json";

    /// <summary>Imports a ratings file.</summary>
    /// <param name="ratingsPath">The ratings file (CSV, TSV or JSONL).</param>
    /// <param name="outputPath">The JSONL file to write, or the directory of a split (<see cref="RatingsImportOptions.Split"/>).</param>
    /// <param name="options">How to read and pair; defaults when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress while reading and writing.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is left at the output).</param>
    /// <returns>What was read, written and dropped.</returns>
    /// <exception cref="InvalidRatingsDataException">A line is invalid (and skipping is off), a named column is missing, or no rating is valid.</exception>
    /// <exception cref="ArgumentException">An option is out of range or the output is not where it can be written.</exception>
    public static Task<RatingsImportSummary> ImportAsync(
        string ratingsPath,
        string outputPath,
        RatingsImportOptions? options = null,
        IProgress<RatingsImportProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ratingsPath);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        options ??= new RatingsImportOptions();
        options.Validate();
        // Reading and pairing are CPU-bound and synchronous; run them off the caller's thread.
        return Task.Run(() => new Import(Path.GetFullPath(ratingsPath), Path.GetFullPath(outputPath), options, progress, cancellationToken).Run(), cancellationToken);
    }

    /// <summary>A stable per-user seed: a user's pairs do not depend on which other users the file holds.</summary>
    internal static int UserSeed(int seed, string user)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in user)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash ^= (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        hash = (hash ^ (hash >> 30)) * 0xBF58476D1CE4E5B9UL;
        hash = (hash ^ (hash >> 27)) * 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return unchecked((int)hash);
    }

    /// <summary>One import's state.</summary>
    private sealed class Import(string ratingsPath, string outputPath, RatingsImportOptions options, IProgress<RatingsImportProgress>? progress, CancellationToken cancellationToken)
    {
        private const int ProgressLines = 1 << 16;

        /// <summary>The item of a rating dropped as a repeat.</summary>
        private const int Removed = -1;
        private readonly RatingsTable _table = new();
        private readonly Dictionary<RatingsDataError, long> _invalid = [];
        private readonly Dictionary<double, JsonElement> _ratingElements = [];
        private JsonElement[] _itemElements = [];
        private string? _firstInvalid;
        private long _invalidLines;
        private ItemCatalog? _catalog;
        private FieldLocation _itemAt;

        // Tallies while writing.
        private PairTally _tally;
        private long _crossPairs;
        private long _sharedItemRatings;
        private int _usersTooFew;
        private int _usersWithoutPairs;
        private int _unseenDropped;
        private int _usersWithPairs;

        public RatingsImportSummary Run()
        {
            if (options.ItemsPath is { } itemsPath)
            {
                _catalog = ItemCatalog.Load(Path.GetFullPath(itemsPath), options.Items, options.SkipInvalid);
                if (options.WriteVectors && _catalog.VectorDimension == 0)
                {
                    throw new ArgumentException("writing vectors needs an items file with list, category or numeric fields (name them, or use the MovieLens items format)");
                }
            }

            string format;
            using (var source = RatingsSource.Open(ratingsPath, options.Ratings))
            {
                format = source.Format.ToString().ToLowerInvariant();
                _itemAt = source.Item;
                Read(source);
            }

            if (_table.Count == 0)
            {
                var problem = _invalidLines > 0 ? $"the file holds no valid rating ({_invalidLines} invalid lines skipped)" : "the file holds no rating";
                throw new InvalidRatingsDataException(RatingsDataError.Empty, problem, ratingsPath);
            }

            CheckItemsHaveText();
            var (entries, offsets) = _table.GroupByUser();
            DropRepeatedRatings(entries, offsets);
            _itemElements = _table.Items.Select(i => JsonSerializer.SerializeToElement(i.Key, RatingsJsonContext.Default.String)).ToArray();

            RatingsSplitSummary? splitSummary = null;
            var files = options.Split is null
                ? WriteSingle(entries, offsets)
                : WriteSplit(entries, offsets, options.Split, out splitSummary);
            var summary = new RatingsImportSummary
            {
                RatingsFile = ratingsPath,
                ItemsFile = _catalog?.SourcePath,
                Output = outputPath,
                Format = format,
                Ratings = Enumerable.Range(0, _table.Users.Count).Sum(u => (long)Valid(entries, offsets, u)),
                Users = _table.Users.Count,
                Items = _table.Items.Count,
                Prompts = _table.Groups.Count,
                CatalogItems = _catalog?.Count ?? 0,
                InvalidLines = _invalidLines,
                InvalidLinesByReason = _invalid.OrderBy(p => p.Key).ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Key.ToString()), p => p.Value),
                FirstInvalidLine = _firstInvalid,
                InvalidItemLines = _catalog?.Skipped.Count ?? 0,
                Pairs = files.Sum(f => f.Records),
                UsersWithPairs = _usersWithPairs,
                Files = files,
                Dropped = new RatingsImportDrops
                {
                    TiePairs = _tally.Comparable - _tally.Valid,
                    CappedPairs = _tally.Valid - _tally.Taken,
                    UsersTooFewRatings = _usersTooFew,
                    UsersWithoutPairs = _usersWithoutPairs,
                    PairsAcrossSplit = _crossPairs,
                    SharedItemRatings = _sharedItemRatings,
                    UnseenUsersDropped = _unseenDropped,
                },
                Text = _table.Items.All(i => i.Text is not null),
                VectorDimension = options.WriteVectors ? _catalog!.VectorDimension : 0,
                VectorLayout = options.WriteVectors ? _catalog!.VectorLayout : [],
                Margin = options.Margin,
                MaxPairsPerUser = options.MaxPairsPerUser,
                Seed = options.Seed,
                Split = splitSummary,
            };
            if (options.Split is not null)
            {
                File.WriteAllText(Path.Combine(outputPath, SummaryFile), JsonSerializer.Serialize(summary, RatingsJsonContext.Default.RatingsImportSummary) + "\n");
            }

            return summary;
        }

        private void Read(RatingsSource source)
        {
            long lines = 0;
            foreach (var line in source.Lines())
            {
                if (++lines % ProgressLines == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new RatingsImportProgress("reading", lines, null));
                }

                if (line.Error is not null)
                {
                    Reject(line.Error);
                    continue;
                }

                var row = line.Row;
                if (row.Line > int.MaxValue)
                {
                    throw new InvalidRatingsDataException(RatingsDataError.Unreadable, "files of more than 2^31 lines are not supported", ratingsPath, row.Line);
                }

                CatalogItem? known = null;
                if (row.ItemId is { } id && _catalog is not null && !_catalog.TryGet(id, out known))
                {
                    Reject(new InvalidRatingsDataException(
                        RatingsDataError.UnknownItem,
                        $"item '{id}' is not in the items file {Path.GetFileName(_catalog.SourcePath)}",
                        ratingsPath,
                        row.Line,
                        _itemAt.Column,
                        _itemAt.Name));
                    continue;
                }

                if (row.ItemId is null && options.WriteVectors)
                {
                    Reject(new InvalidRatingsDataException(
                        RatingsDataError.MissingItem,
                        "the item id is missing (vectors come from the items file, found by id)",
                        ratingsPath,
                        row.Line,
                        _itemAt.Column,
                        _itemAt.Name));
                    continue;
                }

                _table.Add(row, row.ItemId ?? row.Text!, row.Text ?? known?.Text, known?.Vector);
            }
        }

        private void Reject(InvalidRatingsDataException error)
        {
            if (!options.SkipInvalid)
            {
                throw error;
            }

            _invalidLines++;
            _invalid[error.Error] = _invalid.GetValueOrDefault(error.Error) + 1;
            _firstInvalid ??= error.Message;
        }

        private void CheckItemsHaveText()
        {
            if (options.WriteVectors)
            {
                return;
            }

            if (_table.Items.FirstOrDefault(i => i.Text is null) is { } item)
            {
                throw new InvalidRatingsDataException(
                    RatingsDataError.MissingItem,
                    $"item '{item.Key}' has no text: give an items file with text, a text column, or write the items' field vectors",
                    ratingsPath,
                    item.FirstLine,
                    _itemAt.Column,
                    _itemAt.Name);
            }
        }

        /// <summary>A user who rated one item twice (within one group) keeps the first rating; the later line is invalid.</summary>
        private void DropRepeatedRatings(RatingEntry[] entries, int[] offsets)
        {
            var order = new List<int>();
            for (var u = 0; u < _table.Users.Count; u++)
            {
                order.Clear();
                for (var i = offsets[u]; i < offsets[u + 1]; i++)
                {
                    order.Add(i);
                }

                order.Sort((a, b) => entries[a].Group != entries[b].Group ? entries[a].Group.CompareTo(entries[b].Group)
                    : entries[a].Item != entries[b].Item ? entries[a].Item.CompareTo(entries[b].Item)
                    : entries[a].Line.CompareTo(entries[b].Line));
                var kept = order.Count > 0 ? order[0] : -1;
                for (var k = 1; k < order.Count; k++)
                {
                    var current = order[k];
                    if (entries[current].Group != entries[kept].Group || entries[current].Item != entries[kept].Item)
                    {
                        kept = current;
                        continue;
                    }

                    var within = entries[current].Group >= 0 ? " within the same prompt" : string.Empty;
                    Reject(new InvalidRatingsDataException(
                        RatingsDataError.DuplicateRating,
                        $"user '{_table.Users[u]}' already rated item '{_table.Items[entries[current].Item].Key}'{within} (on line {entries[kept].Line})",
                        ratingsPath,
                        entries[current].Line,
                        _itemAt.Column,
                        _itemAt.Name));
                    entries[current].Item = Removed;
                }
            }
        }

        private List<RatingsImportFile> WriteSingle(RatingEntry[] entries, int[] offsets)
        {
            var directory = Path.GetDirectoryName(outputPath);
            if (Directory.Exists(outputPath))
            {
                throw new ArgumentException($"'{outputPath}' is a directory: name a file, or ask for a split to write a directory");
            }

            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var output = new OutputFile(outputPath, Path.GetFileName(outputPath));
            try
            {
                var pairs = new List<(int, int)>();
                ForEachUser(entries, offsets, (user, ratings, random) =>
                {
                    pairs.Clear();
                    _tally += PairSampler.Sample(Candidates(ratings), options.Margin, options.MaxPairsPerUser, random, pairs);
                    return output.Write(this, user, ratings, pairs) > 0 ? UserOutcome.Written : UserOutcome.NoPairs;
                });
                output.Commit();
            }
            catch
            {
                output.Abandon();
                throw;
            }

            return [output.Describe()];
        }

        private List<RatingsImportFile> WriteSplit(RatingEntry[] entries, int[] offsets, RatingsSplitOptions split, out RatingsSplitSummary? summary)
        {
            if (File.Exists(outputPath))
            {
                throw new ArgumentException($"'{outputPath}' is a file: a split is written to a directory");
            }

            var eligible = Enumerable.Range(0, _table.Users.Count).Where(u => Valid(entries, offsets, u) >= 2).ToList();
            var unseenCount = split.UnseenUsers < 1 ? (int)Math.Round(split.UnseenUsers * eligible.Count, MidpointRounding.AwayFromZero) : (int)split.UnseenUsers;
            if (unseenCount >= eligible.Count && unseenCount > 0)
            {
                throw new ArgumentException($"the split asks for {unseenCount} unseen users, but only {eligible.Count} users have two or more ratings (some must stay seen)");
            }

            var shuffled = eligible.ToArray();
            new Random(options.Seed).Shuffle(shuffled);
            var unseen = shuffled.Take(unseenCount).ToHashSet();

            Directory.CreateDirectory(outputPath);
            var train = new OutputFile(Path.Combine(outputPath, TrainFile), TrainFile);
            var testSeen = new OutputFile(Path.Combine(outputPath, TestSeenFile), TestSeenFile);
            var testUnseen = new OutputFile(Path.Combine(outputPath, TestUnseenFile), TestUnseenFile);
            OutputFile[] outputs = [train, testSeen, testUnseen];
            try
            {
                var first = new List<(int, int)>();
                var second = new List<(int, int)>();
                ForEachUser(entries, offsets, (user, ratings, random) =>
                {
                    first.Clear();
                    second.Clear();
                    if (unseen.Contains(user))
                    {
                        if (!SplitUnseen(ratings, random, split.ContextPairs, first, second))
                        {
                            return UserOutcome.Dropped;
                        }

                        // One call: the context pairs open the user's records, the queries follow.
                        first.AddRange(second);
                        return testUnseen.Write(this, user, ratings, first) > 0 ? UserOutcome.Written : UserOutcome.NoPairs;
                    }

                    SplitSeen(ratings, random, split.HeldOutFraction, first, second);
                    var written = train.Write(this, user, ratings, first);
                    written += testSeen.Write(this, user, ratings, second);
                    return written > 0 ? UserOutcome.Written : UserOutcome.NoPairs;
                });
                foreach (var output in outputs)
                {
                    output.Commit();
                }
            }
            catch
            {
                foreach (var output in outputs)
                {
                    output.Abandon();
                }

                throw;
            }

            summary = new RatingsSplitSummary(eligible.Count - unseenCount, unseenCount - _unseenDropped, split.HeldOutFraction, split.ContextPairs);
            return outputs.Select(o => o.Describe()).ToList();
        }

        /// <summary>Runs <paramref name="write"/> for every user with two or more ratings, in order of first appearance.</summary>
        private void ForEachUser(RatingEntry[] entries, int[] offsets, Func<int, RatingEntry[], Random, UserOutcome> write)
        {
            for (var u = 0; u < _table.Users.Count; u++)
            {
                if (u % 256 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new RatingsImportProgress("writing", u, _table.Users.Count));
                }

                var ratings = entries[offsets[u]..offsets[u + 1]].Where(e => e.Item != Removed).ToArray();
                if (ratings.Length < 2)
                {
                    _usersTooFew++;
                    continue;
                }

                switch (write(u, ratings, new Random(UserSeed(options.Seed, _table.Users[u]))))
                {
                    case UserOutcome.Written:
                        _usersWithPairs++;
                        break;
                    case UserOutcome.Dropped:
                        _unseenDropped++;
                        break;
                    default:
                        _usersWithoutPairs++;
                        break;
                }
            }

            progress?.Report(new RatingsImportProgress("writing", _table.Users.Count, _table.Users.Count));
        }

        /// <summary>
        /// A seen user's units (items, or conversations when ratings have prompts) are shuffled and a fraction held out;
        /// training pairs come from the rest, held-out pairs from the held-out units, so no item is on both sides.
        /// </summary>
        private void SplitSeen(RatingEntry[] ratings, Random random, double heldOutFraction, List<(int, int)> train, List<(int, int)> heldOut)
        {
            var units = Units(ratings, random);
            var minimum = _table.Groups.Count > 0 ? 1 : 2;
            var held = (int)Math.Round(heldOutFraction * units.Count, MidpointRounding.AwayFromZero);
            held = units.Count < 2 * minimum ? 0 : Math.Clamp(held, minimum, units.Count - minimum);
            var heldUnits = units.Take(held).ToHashSet();
            var (heldPart, trainPart) = Partition(ratings, heldUnits);
            Pair(ratings, trainPart, heldPart, options.MaxPairsPerUser, options.MaxPairsPerUser, random, train, heldOut);
        }

        /// <summary>
        /// An unseen user's shuffled units are taken, fewest first, until they allow the context pairs; the queries come
        /// from the remaining units. False when that leaves no query pair (the user is dropped).
        /// </summary>
        private bool SplitUnseen(RatingEntry[] ratings, Random random, int contextPairs, List<(int, int)> context, List<(int, int)> queries)
        {
            var units = Units(ratings, random);
            var taken = 0;
            if (contextPairs > 0)
            {
                // The pairs a prefix of units allows never shrink as it grows: binary search the shortest that suffices.
                int low = 1, high = units.Count + 1;
                while (low < high)
                {
                    var middle = (low + high) / 2;
                    var (prefix, _) = Partition(ratings, units.Take(middle).ToHashSet());
                    if (PairSampler.Count(Candidates(ratings, prefix), options.Margin).Valid >= contextPairs)
                    {
                        high = middle;
                    }
                    else
                    {
                        low = middle + 1;
                    }
                }

                if (low > units.Count)
                {
                    return false;
                }

                taken = low;
            }

            var (contextPart, queryPart) = Partition(ratings, units.Take(taken).ToHashSet());
            if (PairSampler.Count(Candidates(ratings, DropShared(ratings, contextPart, queryPart, count: false)), options.Margin).Valid == 0)
            {
                return false;
            }

            Pair(ratings, contextPart, queryPart, contextPairs, options.MaxPairsPerUser, random, context, queries);
            return true;
        }

        /// <summary>Samples pairs within each part and counts the valid pairs that join the two parts (never formed).</summary>
        private void Pair(RatingEntry[] ratings, List<int> firstPart, List<int> secondPart, long firstCap, long secondCap, Random random, List<(int, int)> first, List<(int, int)> second)
        {
            var all = PairSampler.Count(Candidates(ratings), options.Margin);
            secondPart = DropShared(ratings, firstPart, secondPart, count: true);
            var a = PairSampler.Sample(Candidates(ratings, firstPart), options.Margin, firstCap, random, first);
            var b = PairSampler.Sample(Candidates(ratings, secondPart), options.Margin, secondCap, random, second);
            _tally += a + b;
            _crossPairs += all.Valid - a.Valid - b.Valid;
        }

        /// <summary>
        /// With prompts, parts are whole conversations, and one item could still be rated in two of them: its ratings in
        /// the second part are left out so no item is on both sides.
        /// </summary>
        private List<int> DropShared(RatingEntry[] ratings, List<int> firstPart, List<int> secondPart, bool count)
        {
            if (_table.Groups.Count == 0)
            {
                return secondPart;
            }

            var firstItems = firstPart.Select(i => ratings[i].Item).ToHashSet();
            var kept = secondPart.Where(i => !firstItems.Contains(ratings[i].Item)).ToList();
            if (count)
            {
                _sharedItemRatings += secondPart.Count - kept.Count;
            }

            return kept;
        }

        /// <summary>The user's units (items, or groups when ratings have prompts) in a random order.</summary>
        private List<int> Units(RatingEntry[] ratings, Random random)
        {
            var byGroup = _table.Groups.Count > 0;
            var units = ratings.Select(r => byGroup ? r.Group : r.Item).Distinct().ToArray();
            random.Shuffle(units);
            return [.. units];
        }

        /// <summary>Splits rating positions into those whose unit is in <paramref name="firstUnits"/> and the rest.</summary>
        private (List<int> Inside, List<int> Outside) Partition(RatingEntry[] ratings, HashSet<int> firstUnits)
        {
            var byGroup = _table.Groups.Count > 0;
            var first = new List<int>();
            var rest = new List<int>();
            for (var i = 0; i < ratings.Length; i++)
            {
                (firstUnits.Contains(byGroup ? ratings[i].Group : ratings[i].Item) ? first : rest).Add(i);
            }

            return (first, rest);
        }

        private static PairCandidate[] Candidates(RatingEntry[] ratings) =>
            ratings.Select((r, i) => new PairCandidate(i, r.Group, r.Rating)).ToArray();

        private static PairCandidate[] Candidates(RatingEntry[] ratings, List<int> positions) =>
            positions.Select(i => new PairCandidate(i, ratings[i].Group, ratings[i].Rating)).ToArray();

        private static int Valid(RatingEntry[] entries, int[] offsets, int user)
        {
            var count = 0;
            for (var i = offsets[user]; i < offsets[user + 1]; i++)
            {
                count += entries[i].Item != Removed ? 1 : 0;
            }

            return count;
        }

        private PreferenceRecord Record(int user, RatingEntry chosen, RatingEntry rejected)
        {
            var chosenItem = _table.Items[chosen.Item];
            var rejectedItem = _table.Items[rejected.Item];
            var extensions = new Dictionary<string, JsonElement>(5)
            {
                ["item_chosen"] = _itemElements[chosen.Item],
                ["item_rejected"] = _itemElements[rejected.Item],
                ["rating_chosen"] = RatingElement(chosen.Rating),
                ["rating_rejected"] = RatingElement(rejected.Rating),
            };
            var group = chosen.Group >= 0 ? _table.Groups[chosen.Group] : null;
            if (group?.Conversation is { } conversation)
            {
                extensions["conversation_id"] = JsonSerializer.SerializeToElement(conversation, RatingsJsonContext.Default.String);
            }

            return new PreferenceRecord
            {
                UserId = _table.Users[user],
                Prompt = group?.Prompt,
                Chosen = chosenItem.Text,
                Rejected = rejectedItem.Text,
                ChosenEmbedding = options.WriteVectors ? chosenItem.Vector : null,
                RejectedEmbedding = options.WriteVectors ? rejectedItem.Vector : null,
                ExtensionData = extensions,
            };
        }

        private JsonElement RatingElement(double rating)
        {
            if (!_ratingElements.TryGetValue(rating, out var element))
            {
                element = JsonSerializer.SerializeToElement(rating, RatingsJsonContext.Default.Double);
                _ratingElements[rating] = element;
            }

            return element;
        }

        /// <summary>What became of one user.</summary>
        private enum UserOutcome
        {
            Written,
            NoPairs,
            Dropped,
        }

        /// <summary>An output file written beside its final name and moved there only when the whole import succeeded.</summary>
        private sealed class OutputFile(string path, string name)
        {
            private readonly string _partial = path + ".partial";
            private PreferenceJsonlWriter? _writer;
            private int _users;

            public long Count { get; private set; }

            public int Write(Import import, int user, RatingEntry[] ratings, List<(int Chosen, int Rejected)> pairs)
            {
                _writer ??= PreferenceJsonlWriter.Create(_partial);
                foreach (var (chosen, rejected) in pairs)
                {
                    _writer.Write(import.Record(user, ratings[chosen], ratings[rejected]));
                }

                _users += pairs.Count > 0 ? 1 : 0;
                return pairs.Count;
            }

            public void Commit()
            {
                _writer ??= PreferenceJsonlWriter.Create(_partial);
                Count = _writer.Count;
                _writer.Dispose();
                File.Move(_partial, path, overwrite: true);
            }

            public void Abandon()
            {
                _writer?.Dispose();
                File.Delete(_partial);
            }

            public RatingsImportFile Describe() => new(name, _users, Count);
        }
    }
}
