namespace Pluralistic.Data;

/// <summary>One rating, compactly: indices into the table's users, items and groups (24 bytes a rating).</summary>
internal struct RatingEntry
{
    public int User;
    public int Item;

    /// <summary>The prompt or conversation; -1 when the line has none.</summary>
    public int Group;

    public int Line;
    public double Rating;
}

/// <summary>An item as the import knows it.</summary>
internal sealed class TableItem(string key, int firstLine)
{
    public string Key { get; } = key;

    public int FirstLine { get; } = firstLine;

    public string? Text { get; set; }

    public float[]? Vector { get; set; }
}

/// <summary>A prompt or a conversation.</summary>
internal sealed class TableGroup
{
    public string? Prompt { get; set; }

    public string? Conversation { get; init; }
}

/// <summary>
/// Every valid rating of a file, with users, items and groups interned, then grouped by user. A user's ratings can be
/// anywhere in the file, so they must all be held: 24 bytes a rating (plus growth slack), grouped in place.
/// </summary>
internal sealed class RatingsTable
{
    private readonly Dictionary<string, int> _userIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _itemIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _groupIndex = new(StringComparer.Ordinal);
    private RatingEntry[] _entries = new RatingEntry[1024];

    public List<string> Users { get; } = [];

    public List<TableItem> Items { get; } = [];

    public List<TableGroup> Groups { get; } = [];

    public int Count { get; private set; }

    /// <summary>Adds a rating; its item is interned by <paramref name="itemKey"/>.</summary>
    public void Add(RatingRow row, string itemKey, string? text, float[]? vector)
    {
        if (!_userIndex.TryGetValue(row.UserId, out var user))
        {
            user = Users.Count;
            _userIndex[row.UserId] = user;
            Users.Add(row.UserId);
        }

        if (!_itemIndex.TryGetValue(itemKey, out var item))
        {
            item = Items.Count;
            _itemIndex[itemKey] = item;
            Items.Add(new TableItem(itemKey, checked((int)row.Line)) { Vector = vector });
        }

        Items[item].Text ??= text;
        var group = -1;
        if (row.Conversation is not null || row.Prompt is not null)
        {
            // A conversation id groups its replies even when their prompt texts differ (or are absent).
            var key = row.Conversation is not null ? "c\u001f" + row.Conversation : "p\u001f" + row.Prompt;
            if (!_groupIndex.TryGetValue(key, out group))
            {
                group = Groups.Count;
                _groupIndex[key] = group;
                Groups.Add(new TableGroup { Conversation = row.Conversation });
            }

            Groups[group].Prompt ??= row.Prompt;
        }

        if (Count == _entries.Length)
        {
            // Grow by half, not double: the slack of a 20M-rating array is what it costs in memory.
            Array.Resize(ref _entries, checked(_entries.Length + (_entries.Length / 2)));
        }

        _entries[Count++] = new RatingEntry { User = user, Item = item, Group = group, Line = checked((int)row.Line), Rating = row.Rating };
    }

    /// <summary>
    /// Groups the ratings by user in place (no second copy of a large file's ratings): user u's ratings become
    /// <c>entries[offsets[u]..offsets[u + 1]]</c>, in file order. The array may be longer than <see cref="Count"/>.
    /// </summary>
    public (RatingEntry[] Entries, int[] Offsets) GroupByUser()
    {
        var offsets = new int[Users.Count + 1];
        for (var i = 0; i < Count; i++)
        {
            offsets[_entries[i].User + 1]++;
        }

        for (var u = 0; u < Users.Count; u++)
        {
            offsets[u + 1] += offsets[u];
        }

        // Every slot before next[u] in u's range holds one of u's ratings; swap each misplaced rating into its range.
        var next = offsets[..^1];
        for (var u = 0; u < Users.Count; u++)
        {
            while (next[u] < offsets[u + 1])
            {
                var entry = _entries[next[u]];
                if (entry.User == u)
                {
                    next[u]++;
                    continue;
                }

                var target = next[entry.User]++;
                _entries[next[u]] = _entries[target];
                _entries[target] = entry;
            }
        }

        // The swaps do not keep order: lines are unique, so sorting by line restores file order within each user.
        for (var u = 0; u < Users.Count; u++)
        {
            _entries.AsSpan(offsets[u], offsets[u + 1] - offsets[u]).Sort(static (a, b) => a.Line.CompareTo(b.Line));
        }

        return (_entries, offsets);
    }
}
