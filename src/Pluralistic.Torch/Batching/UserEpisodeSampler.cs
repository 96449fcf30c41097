namespace Pluralistic.Torch;

/// <summary>
/// Per-user episodes for meta-learning and amortised inference (VPL, FSPO): sample users, shuffle each user's pairs,
/// take a context of random size and queries from the rest. Episodes come as padded index arrays with masks, ready
/// to become tensors: context [users x maxContext] and queries [users x queries].
/// </summary>
public sealed class UserEpisodeSampler
{
    private readonly int[][] _userRecords;

    /// <summary>Creates a sampler over some records of a dataset.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="records">The records episodes may use (for example the training split).</param>
    /// <param name="minContext">The smallest context (&gt;= 0).</param>
    /// <param name="maxContext">The largest context.</param>
    /// <param name="queries">Queries per episode (users with fewer pairs give fewer; at least one).</param>
    public UserEpisodeSampler(PreferenceDataset data, IReadOnlyList<int> records, int minContext, int maxContext, int queries)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfNegative(minContext);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxContext, minContext);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queries);
        MinContext = minContext;
        MaxContext = maxContext;
        Queries = queries;
        var byUser = new Dictionary<int, List<int>>();
        var userIndex = data.UserIndices.Span;
        foreach (var r in records)
        {
            var u = userIndex[r];
            if (!byUser.TryGetValue(u, out var list))
            {
                byUser[u] = list = [];
            }

            list.Add(r);
        }

        // A user needs at least one query beyond the smallest context to teach anything.
        var eligible = byUser.Where(kv => kv.Value.Count >= minContext + 1).OrderBy(kv => kv.Key).ToList();
        _userRecords = eligible.Select(kv => kv.Value.ToArray()).ToArray();
        UserIndices = eligible.Select(kv => kv.Key).ToArray();
    }

    /// <summary>The smallest context.</summary>
    public int MinContext { get; }

    /// <summary>The largest context (the padded width).</summary>
    public int MaxContext { get; }

    /// <summary>Queries per episode (the padded width).</summary>
    public int Queries { get; }

    /// <summary>The dataset user indices that can be sampled.</summary>
    public IReadOnlyList<int> UserIndices { get; }

    /// <summary>The number of users that can be sampled.</summary>
    public int UserCount => _userRecords.Length;

    /// <summary>Samples episodes for <paramref name="users"/> users drawn at random (without replacement while possible).</summary>
    /// <param name="users">Episodes to draw.</param>
    /// <param name="random">The random source.</param>
    /// <returns>The episodes.</returns>
    public EpisodeBatch Sample(int users, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (UserCount == 0)
        {
            throw new EmptyContextException($"no user has the {MinContext + 1} pairs an episode needs");
        }

        var picks = new int[users];
        var pool = Enumerable.Range(0, UserCount).ToArray();
        for (var i = 0; i < users; i++)
        {
            if (i % UserCount == 0)
            {
                random.Shuffle(pool);
            }

            picks[i] = pool[i % UserCount];
        }

        return Build(picks, random);
    }

    /// <summary>
    /// Fixed episodes for validation: for every user with records in <paramref name="queryRecords"/>, the context is
    /// that user's most recent <paramref name="maxContext"/> records of <paramref name="contextRecords"/> (record order,
    /// for example the training split — the pairs a stored state would retain) and the queries are all of the user's
    /// records of <paramref name="queryRecords"/> (for example the validation split). Users come in ascending index
    /// order, in batches of at most <paramref name="usersPerBatch"/>, each padded to its own widest context and query set.
    /// </summary>
    /// <param name="data">The dataset.</param>
    /// <param name="contextRecords">Records a context may use.</param>
    /// <param name="queryRecords">Records to predict.</param>
    /// <param name="maxContext">The most context pairs per user (the most recent ones); 0 gives empty contexts.</param>
    /// <param name="usersPerBatch">Users per batch.</param>
    /// <returns>The batches (empty when there is no query record).</returns>
    public static IReadOnlyList<EpisodeBatch> HeldOut(
        PreferenceDataset data, IReadOnlyList<int> contextRecords, IReadOnlyList<int> queryRecords, int maxContext, int usersPerBatch)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(contextRecords);
        ArgumentNullException.ThrowIfNull(queryRecords);
        ArgumentOutOfRangeException.ThrowIfNegative(maxContext);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(usersPerBatch);
        var context = ByUser(data, contextRecords);
        var queries = ByUser(data, queryRecords);
        var users = queries.Keys.Order().ToList();
        var batches = new List<EpisodeBatch>();
        for (var start = 0; start < users.Count; start += usersPerBatch)
        {
            var chunk = users.GetRange(start, Math.Min(usersPerBatch, users.Count - start));
            batches.Add(EpisodeBatch.Create(
                chunk.Select(u => context.TryGetValue(u, out var c) ? c.TakeLast(maxContext).ToArray() : []).ToList(),
                chunk.Select(u => queries[u].ToArray()).ToList(),
                chunk));
        }

        return batches;
    }

    /// <summary>Episodes for every eligible user once, in order (for validation).</summary>
    /// <param name="random">The random source (fixed seed for repeatable validation).</param>
    /// <returns>The episodes.</returns>
    public EpisodeBatch All(Random random) => Build(Enumerable.Range(0, UserCount).ToArray(), random);

    private static Dictionary<int, List<int>> ByUser(PreferenceDataset data, IReadOnlyList<int> records)
    {
        var userIndex = data.UserIndices.Span;
        var byUser = new Dictionary<int, List<int>>();
        foreach (var r in records.Order())
        {
            if (!byUser.TryGetValue(userIndex[r], out var list))
            {
                byUser[userIndex[r]] = list = [];
            }

            list.Add(r);
        }

        return byUser;
    }

    private EpisodeBatch Build(int[] picks, Random random)
    {
        var b = picks.Length;
        var context = new long[b * MaxContext];
        var contextMask = new float[b * MaxContext];
        var query = new long[b * Queries];
        var queryMask = new float[b * Queries];
        var userIndex = new int[b];
        for (var i = 0; i < b; i++)
        {
            var records = _userRecords[picks[i]].ToArray();
            random.Shuffle(records);
            var size = random.Next(MinContext, MaxContext + 1);
            size = Math.Min(size, records.Length - 1);
            for (var c = 0; c < size; c++)
            {
                context[(i * MaxContext) + c] = records[c];
                contextMask[(i * MaxContext) + c] = 1;
            }

            var q = Math.Min(Queries, records.Length - size);
            for (var j = 0; j < q; j++)
            {
                query[(i * Queries) + j] = records[size + j];
                queryMask[(i * Queries) + j] = 1;
            }

            // Padding points at a real record of the same user so gathers stay valid; masks zero it out.
            for (var c = size; c < MaxContext; c++)
            {
                context[(i * MaxContext) + c] = records[0];
            }

            for (var j = q; j < Queries; j++)
            {
                query[(i * Queries) + j] = records[size];
            }

            userIndex[i] = UserIndices[picks[i]];
        }

        return new EpisodeBatch(b, MaxContext, Queries, context, contextMask, query, queryMask, userIndex);
    }
}

/// <summary>Padded episodes: index and mask arrays, row-major per user.</summary>
/// <param name="Users">Episodes (rows).</param>
/// <param name="ContextWidth">Padded context size.</param>
/// <param name="QueryWidth">Padded query count.</param>
/// <param name="Context">Record index of each context slot [Users x ContextWidth].</param>
/// <param name="ContextMask">1 for a real context pair, 0 for padding.</param>
/// <param name="Query">Record index of each query slot [Users x QueryWidth].</param>
/// <param name="QueryMask">1 for a real query, 0 for padding.</param>
/// <param name="UserIndex">The dataset user index of each episode.</param>
public sealed record EpisodeBatch(
    int Users, int ContextWidth, int QueryWidth, long[] Context, float[] ContextMask, long[] Query, float[] QueryMask, int[] UserIndex)
{
    /// <summary>
    /// Episodes from explicit record lists, padded to the widest context and query set (padding repeats a real record
    /// of the episode so gathers stay valid; masks zero it out).
    /// </summary>
    /// <param name="contexts">Per episode, the context records (may be empty).</param>
    /// <param name="queries">Per episode, the query records (at least one).</param>
    /// <param name="userIndex">Per episode, the dataset user index.</param>
    /// <returns>The batch.</returns>
    public static EpisodeBatch Create(IReadOnlyList<int[]> contexts, IReadOnlyList<int[]> queries, IReadOnlyList<int> userIndex)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(userIndex);
        var b = contexts.Count;
        if (b == 0)
        {
            throw new ArgumentException("at least one episode is required", nameof(contexts));
        }

        if (queries.Count != b || userIndex.Count != b)
        {
            throw new ArgumentException($"got {b} contexts, {queries.Count} query sets and {userIndex.Count} users; expected one of each per episode", nameof(queries));
        }

        if (queries.Any(q => q is not { Length: > 0 }))
        {
            throw new ArgumentException("every episode needs at least one query", nameof(queries));
        }

        var contextWidth = Math.Max(contexts.Max(c => c?.Length ?? 0), 1);
        var queryWidth = queries.Max(q => q.Length);
        var context = new long[b * contextWidth];
        var contextMask = new float[b * contextWidth];
        var query = new long[b * queryWidth];
        var queryMask = new float[b * queryWidth];
        for (var i = 0; i < b; i++)
        {
            var c = contexts[i] ?? [];
            for (var j = 0; j < contextWidth; j++)
            {
                context[(i * contextWidth) + j] = j < c.Length ? c[j] : c.Length > 0 ? c[0] : queries[i][0];
                contextMask[(i * contextWidth) + j] = j < c.Length ? 1 : 0;
            }

            for (var j = 0; j < queryWidth; j++)
            {
                query[(i * queryWidth) + j] = j < queries[i].Length ? queries[i][j] : queries[i][0];
                queryMask[(i * queryWidth) + j] = j < queries[i].Length ? 1 : 0;
            }
        }

        return new EpisodeBatch(b, contextWidth, queryWidth, context, contextMask, query, queryMask, [.. userIndex]);
    }
}
