using System.Text.Json;

namespace Pluralistic.Data;

/// <summary>How a synthetic population is drawn. Every field has a documented default; a preset and a seed fix the output.</summary>
public sealed record SyntheticPopulationOptions
{
    /// <summary>The preset (<see cref="SyntheticPopulation.PresetNames"/>). Default <c>groups</c>.</summary>
    public string Preset { get; init; } = "groups";

    /// <summary>The seed; the same preset, options and seed give byte-identical files.</summary>
    public int Seed { get; init; }

    /// <summary>The length of response vectors. Default 32.</summary>
    public int ResponseDimension { get; init; } = 32;

    /// <summary>Users in the training data. Default 200.</summary>
    public int SeenUsers { get; init; } = 200;

    /// <summary>Users held out entirely (they appear only in <c>test_unseen</c>). Default 60.</summary>
    public int UnseenUsers { get; init; } = 60;

    /// <summary>Training pairs per seen user. Default 40.</summary>
    public int TrainPairsPerUser { get; init; } = 40;

    /// <summary>Held-out pairs per seen user in <c>test_seen</c>. Default 20.</summary>
    public int TestPairsPerSeenUser { get; init; } = 20;

    /// <summary>Pairs per unseen user in <c>test_unseen</c> (the first serve as context). Default 40.</summary>
    public int UnseenPairsPerUser { get; init; } = 40;

    /// <summary>
    /// The standard deviation of true reward differences over random pairs, which sets label noise: labels are drawn
    /// from sigmoid(difference). Default 4 (the oracle then reaches about 0.87).
    /// </summary>
    public double RewardDifferenceScale { get; init; } = 4.0;

    /// <summary>For multi-objective presets, the probability that a rating is missing. Default 0.1.</summary>
    public double MissingRatingRate { get; init; } = 0.1;

    /// <summary>Throws when a size is out of range (at least one seen user and one training pair each).</summary>
    internal void ValidateSizes()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(SeenUsers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(UnseenUsers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TrainPairsPerUser);
        ArgumentOutOfRangeException.ThrowIfNegative(TestPairsPerSeenUser);
        ArgumentOutOfRangeException.ThrowIfNegative(UnseenPairsPerUser);
    }
}

/// <summary>
/// A synthetic population of users with known hidden rewards: nonlinear in the response, varying between and within
/// groups of unequal size, with Bradley-Terry label noise. Gives training and test splits and the oracle accuracies
/// that say how much room personalisation has.
/// </summary>
public sealed class SyntheticPopulation
{
    private readonly SyntheticPreset _preset;
    private readonly Dictionary<UserId, (int Group, double[] Theta)> _users = [];
    private readonly double[] _meanTheta;
    private readonly double[][] _groupMeanTheta;
    private readonly double _sharpness;

    private SyntheticPopulation(SyntheticPopulationOptions options)
    {
        Options = options;
        _preset = SyntheticPreset.Create(options.Preset);
        var random = new Random(options.Seed);
        _preset.Initialize(random, options.ResponseDimension);

        SeenUsers = DrawUsers("user", options.SeenUsers, random);
        UnseenUsers = DrawUsers("new-user", options.UnseenUsers, random);

        _meanTheta = MeanTheta(SeenUsers);
        _groupMeanTheta = Enumerable.Range(0, _preset.Groups.Count)
            .Select(g => MeanTheta(SeenUsers.Where(u => _users[u].Group == g).ToList()))
            .ToArray();
        _sharpness = Calibrate(random);

        var train = DrawPairs(SeenUsers, options.TrainPairsPerUser, random);
        var testSeen = DrawPairs(SeenUsers, options.TestPairsPerSeenUser, random);
        var testUnseen = DrawPairs(UnseenUsers, options.UnseenPairsPerUser, random);

        // Seen users' records are interleaved as in real logs; unseen users' stay grouped so the first are context.
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(testSeen));

        Train = train.Select(s => s.Record).ToList();
        TestSeen = testSeen.Select(s => s.Record).ToList();
        TestUnseen = testUnseen.Select(s => s.Record).ToList();
        Oracle = new OracleReport
        {
            Preset = _preset.Name,
            Seed = options.Seed,
            Description = _preset.Description,
            GroupShares = _preset.Groups.ToDictionary(g => g.Name, g => g.Share),
            Splits = new Dictionary<string, OracleSplit>
            {
                ["train"] = Summarize(train),
                ["test_seen"] = Summarize(testSeen),
                ["test_unseen"] = Summarize(testUnseen),
            },
        };
    }

    /// <summary>The presets, in the order the demo and benchmarks run them.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["groups", "mixture", "directions", "minority"];

    /// <summary>The options the population was drawn with.</summary>
    public SyntheticPopulationOptions Options { get; }

    /// <summary>The preset's name.</summary>
    public string Preset => _preset.Name;

    /// <summary>What the preset models.</summary>
    public string Description => _preset.Description;

    /// <summary>The group names, largest first.</summary>
    public IReadOnlyList<string> GroupNames => _preset.Groups.Select(g => g.Name).ToList();

    /// <summary>Named objectives (multi-objective presets); empty otherwise.</summary>
    public IReadOnlyList<string> Objectives => _preset.Objectives;

    /// <summary>The length of prompt vectors (0 when the preset has no prompts).</summary>
    public int PromptDimension => _preset.PromptDimension;

    /// <summary>Users in the training data.</summary>
    public IReadOnlyList<UserId> SeenUsers { get; }

    /// <summary>Users held out of training.</summary>
    public IReadOnlyList<UserId> UnseenUsers { get; }

    /// <summary>Training records (seen users).</summary>
    public IReadOnlyList<PreferenceRecord> Train { get; }

    /// <summary>Held-out records of seen users.</summary>
    public IReadOnlyList<PreferenceRecord> TestSeen { get; }

    /// <summary>Records of unseen users, grouped by user, each user's first records serving as context.</summary>
    public IReadOnlyList<PreferenceRecord> TestUnseen { get; }

    /// <summary>Oracle and best-single-reward accuracies per split.</summary>
    public OracleReport Oracle { get; }

    /// <summary>
    /// Draws more held-out users from this population (same groups, calibration and responses) from their own random
    /// stream, so an unseen-user figure can be measured on many more users than <see cref="TestUnseen"/> holds
    /// without changing the training data (which more <see cref="SyntheticPopulationOptions.UnseenUsers"/> would).
    /// The users join this population, so <see cref="TrueReward"/> and the other per-user queries know them.
    /// </summary>
    /// <param name="count">Users to draw.</param>
    /// <param name="pairsPerUser">Pairs per user.</param>
    /// <param name="seed">Seed of the draw; different seeds give disjoint user ids.</param>
    /// <returns>Their records, grouped by user, each user's first records serving as context.</returns>
    public IReadOnlyList<PreferenceRecord> DrawHeldOutUsers(int count, int pairsPerUser, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairsPerUser);
        // A stream of its own (HashCode is randomised per process, so the seeds are mixed by hand).
        var random = new Random(unchecked((Options.Seed * 1_000_003) + (seed * 7_919) + 104_729));
        var prefix = "held-out-" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_users.ContainsKey(new UserId($"{prefix}-0001")))
        {
            throw new ArgumentException($"held-out users with seed {seed} were already drawn", nameof(seed));
        }

        var users = DrawUsers(prefix, count, random);
        return DrawPairs(users, pairsPerUser, random).Select(s => s.Record).ToList();
    }

    /// <summary>
    /// Draws further held-out pairs for every seen user from their own random stream, so a seen-user figure can be
    /// measured on many more pairs than <see cref="TestSeen"/> holds without changing the training data (which more
    /// <see cref="SyntheticPopulationOptions.TestPairsPerSeenUser"/> would). The population is not changed.
    /// </summary>
    /// <param name="pairsPerUser">Pairs per seen user.</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <returns>The records, grouped by user.</returns>
    public IReadOnlyList<PreferenceRecord> DrawHeldOutPairs(int pairsPerUser, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairsPerUser);

        // A stream of its own, distinct from DrawHeldOutUsers' for the same seed.
        var random = new Random(unchecked((Options.Seed * 1_000_003) + (seed * 7_919) + 224_737));
        return DrawPairs(SeenUsers, pairsPerUser, random).Select(s => s.Record).ToList();
    }

    /// <summary>Draws a population.</summary>
    /// <param name="options">Preset, seed and sizes.</param>
    /// <returns>The population.</returns>
    public static SyntheticPopulation Generate(SyntheticPopulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ResponseDimension, 2);
        options.ValidateSizes();
        return new SyntheticPopulation(options);
    }

    /// <summary>Draws a population of a preset with default sizes.</summary>
    /// <param name="preset">The preset.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The population.</returns>
    public static SyntheticPopulation Generate(string preset, int seed) => Generate(new SyntheticPopulationOptions { Preset = preset, Seed = seed });

    /// <summary>The description of a preset.</summary>
    /// <param name="preset">The preset's name.</param>
    /// <returns>What it models.</returns>
    public static string Describe(string preset) => SyntheticPreset.Create(preset).Description;

    /// <summary>The group of a user.</summary>
    /// <param name="user">A seen or unseen user.</param>
    /// <returns>The group's name.</returns>
    public string GroupOf(UserId user) => _preset.Groups[Lookup(user).Group].Name;

    /// <summary>The user's hidden reward of a response.</summary>
    /// <param name="user">A seen or unseen user.</param>
    /// <param name="response">The response vector.</param>
    /// <param name="prompt">The prompt vector (presets with prompts).</param>
    /// <returns>The reward.</returns>
    public double TrueReward(UserId user, ReadOnlySpan<float> response, ReadOnlySpan<float> prompt = default) =>
        Reward(Lookup(user).Theta, response, prompt);

    /// <summary>The best single reward: the population-mean hidden reward of a response.</summary>
    /// <param name="response">The response vector.</param>
    /// <param name="prompt">The prompt vector (presets with prompts).</param>
    /// <returns>The reward.</returns>
    public double PopulationReward(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt = default) => Reward(_meanTheta, response, prompt);

    /// <summary>The mean hidden reward of one group's seen users for a response.</summary>
    /// <param name="group">The group's name.</param>
    /// <param name="response">The response vector.</param>
    /// <param name="prompt">The prompt vector (presets with prompts).</param>
    /// <returns>The reward.</returns>
    public double GroupReward(string group, ReadOnlySpan<float> response, ReadOnlySpan<float> prompt = default)
    {
        var index = GroupNames.ToList().IndexOf(group);
        if (index < 0)
        {
            throw new ArgumentException($"unknown group '{group}'", nameof(group));
        }

        return Reward(_groupMeanTheta[index], response, prompt);
    }

    /// <summary>The true values of the named objectives of a response (multi-objective presets).</summary>
    /// <param name="response">The response vector.</param>
    /// <returns>One value per objective, in <see cref="Objectives"/> order.</returns>
    public double[] TrueObjectives(ReadOnlySpan<float> response)
    {
        if (Objectives.Count == 0)
        {
            throw new InvalidOperationException($"preset '{Preset}' has no named objectives");
        }

        var features = new double[_preset.FeatureCount];
        _preset.Features(response, default, features);
        return features;
    }

    /// <summary>Draws fresh responses (and prompts) from the population's distribution, for best-of-n and control experiments.</summary>
    /// <param name="count">How many.</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <returns>The responses; with prompts when the preset has them (one shared prompt).</returns>
    public ResponseBatch SampleResponses(int count, int seed)
    {
        var random = new Random(seed);
        var vectors = Enumerable.Range(0, count).Select(_ => RandomVector(random, Options.ResponseDimension)).ToList();
        return ResponseBatch.FromVectors(vectors, PromptDimension > 0 ? RandomVector(random, PromptDimension) : null);
    }

    /// <summary>Builds an in-memory dataset of records (line indices are record positions).</summary>
    /// <param name="records">Records of this population.</param>
    /// <returns>The dataset.</returns>
    public PreferenceDataset ToDataset(IReadOnlyList<PreferenceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var builder = new PreferenceDatasetBuilder(Options.ResponseDimension, PromptDimension, records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            builder.Add(new UserId(r.UserId!), r.ChosenEmbedding, r.RejectedEmbedding, r.PromptEmbedding, new PreferenceRecordExtras
            {
                Line = i,
                Group = r.Group,
                ChosenAttributes = r.ChosenAttributes,
                RejectedAttributes = r.RejectedAttributes,
            });
        }

        return builder.Build();
    }

    /// <summary>Writes <c>train.jsonl</c>, <c>test_seen.jsonl</c>, <c>test_unseen.jsonl</c> and <c>oracle.json</c>.</summary>
    /// <param name="directory">The output directory (created when missing).</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>A task.</returns>
    public Task WriteAsync(string directory, CancellationToken cancellationToken = default) =>
        SyntheticFiles.WriteAsync(directory, Train, TestSeen, TestUnseen, Oracle, cancellationToken);

    /// <summary>Reads an <c>oracle.json</c> written by <see cref="WriteAsync"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The report.</returns>
    /// <exception cref="InvalidPreferenceDataException">The file is not an oracle report.</exception>
    public static OracleReport ReadOracle(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, OracleJson.Indented.OracleReport)
                ?? throw new InvalidPreferenceDataException(PreferenceDataError.InvalidJson, "expected an oracle report", path);
        }
        catch (JsonException ex)
        {
            throw new InvalidPreferenceDataException(PreferenceDataError.InvalidJson, $"not an oracle report ({ex.Message})", path, innerException: ex);
        }
    }

    private (int Group, double[] Theta) Lookup(UserId user) =>
        _users.TryGetValue(user, out var u) ? u : throw new UnknownUserException(user);

    private double Reward(double[] theta, ReadOnlySpan<float> response, ReadOnlySpan<float> prompt)
    {
        Span<double> features = stackalloc double[_preset.FeatureCount];
        _preset.Features(response, prompt, features);
        return _sharpness * SyntheticMath.Dot(theta, features);
    }

    private List<UserId> DrawUsers(string prefix, int count, Random random)
    {
        var groups = SyntheticMath.AssignGroups(_preset.Groups.Select(g => g.Share).ToList(), count, random);
        var users = new List<UserId>(count);
        for (var i = 0; i < count; i++)
        {
            var id = new UserId($"{prefix}-{i + 1:D4}");
            _users[id] = (groups[i], _preset.SampleUser(groups[i], random));
            users.Add(id);
        }

        return users;
    }

    private double[] MeanTheta(IReadOnlyList<UserId> users)
    {
        var mean = new double[_preset.FeatureCount];
        foreach (var user in users)
        {
            var theta = _users[user].Theta;
            for (var i = 0; i < mean.Length; i++)
            {
                mean[i] += theta[i] / users.Count;
            }
        }

        return mean;
    }

    private double Calibrate(Random random)
    {
        // Scale rewards so that true reward differences over random pairs have the requested spread.
        var seen = SeenUsers;
        double sum = 0, sumSquares = 0;
        const int Samples = 4000;
        for (var s = 0; s < Samples; s++)
        {
            var (a, b, p) = DrawResponses(random);
            var theta = _users[seen[random.Next(seen.Count)]].Theta;
            var diff = RawReward(theta, a, p) - RawReward(theta, b, p);
            sum += diff;
            sumSquares += diff * diff;
        }

        var std = Math.Sqrt((sumSquares / Samples) - Math.Pow(sum / Samples, 2));
        return Options.RewardDifferenceScale / Math.Max(std, 1e-9);
    }

    private double RawReward(double[] theta, float[] response, float[]? prompt)
    {
        Span<double> features = stackalloc double[_preset.FeatureCount];
        _preset.Features(response, prompt, features);
        return SyntheticMath.Dot(theta, features);
    }

    private (float[] A, float[] B, float[]? Prompt) DrawResponses(Random random) =>
        (RandomVector(random, Options.ResponseDimension), RandomVector(random, Options.ResponseDimension),
         PromptDimension > 0 ? RandomVector(random, PromptDimension) : null);

    private static float[] RandomVector(Random random, int dimension)
    {
        // Coordinates N(0, 1/d): vectors of norm about 1, like normalised sentence embeddings.
        var scale = 1 / Math.Sqrt(dimension);
        var v = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            v[i] = (float)(SyntheticMath.Gaussian(random) * scale);
        }

        return v;
    }

    private List<Sample> DrawPairs(IReadOnlyList<UserId> users, int perUser, Random random)
    {
        var samples = new List<Sample>(users.Count * perUser);
        foreach (var user in users)
        {
            var (group, theta) = _users[user];
            for (var k = 0; k < perUser; k++)
            {
                var (a, b, prompt) = DrawResponses(random);
                var margin = _sharpness * (RawReward(theta, a, prompt) - RawReward(theta, b, prompt));
                var aWins = random.NextDouble() < PairPredictions.Sigmoid(margin);
                var (chosen, rejected) = aWins ? (a, b) : (b, a);
                var signedMargin = aWins ? margin : -margin;
                var populationMargin = RawReward(_meanTheta, chosen, prompt) - RawReward(_meanTheta, rejected, prompt);
                var record = new PreferenceRecord
                {
                    UserId = user.Value,
                    ChosenEmbedding = chosen,
                    RejectedEmbedding = rejected,
                    PromptEmbedding = prompt,
                    Group = _preset.Groups[group].Name,
                };
                if (Objectives.Count > 0)
                {
                    record.ChosenAttributes = Ratings(chosen, random);
                    record.RejectedAttributes = Ratings(rejected, random);
                }

                samples.Add(new Sample(record, group, signedMargin > 0, populationMargin > 0));
            }
        }

        return samples;
    }

    private Dictionary<string, double>? Ratings(float[] response, Random random)
    {
        var truth = TrueObjectives(response);
        var ratings = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var o = 0; o < truth.Length; o++)
        {
            var noise = SyntheticMath.Gaussian(random) * 0.25;
            if (random.NextDouble() >= Options.MissingRatingRate)
            {
                ratings[Objectives[o]] = Math.Round(Math.Clamp(3 + (2 * truth[o]) + noise, 1, 5), 2);
            }
        }

        return ratings.Count > 0 ? ratings : null;
    }

    private OracleSplit Summarize(List<Sample> samples) =>
        OracleSample.Summarize(samples.Select(s => new OracleSample(s.Group, s.OracleCorrect, s.SingleCorrect)).ToList(), GroupNames);

    private sealed record Sample(PreferenceRecord Record, int Group, bool OracleCorrect, bool SingleCorrect);
}

/// <summary>Writes a synthetic population's files: <c>train.jsonl</c>, <c>test_seen.jsonl</c>, <c>test_unseen.jsonl</c> and <c>oracle.json</c>.</summary>
internal static class SyntheticFiles
{
    public static async Task WriteAsync(
        string directory,
        IReadOnlyList<PreferenceRecord> train,
        IReadOnlyList<PreferenceRecord> testSeen,
        IReadOnlyList<PreferenceRecord> testUnseen,
        OracleReport oracle,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await PreferenceJsonl.WriteAsync(Path.Combine(directory, "train.jsonl"), train, cancellationToken).ConfigureAwait(false);
        await PreferenceJsonl.WriteAsync(Path.Combine(directory, "test_seen.jsonl"), testSeen, cancellationToken).ConfigureAwait(false);
        await PreferenceJsonl.WriteAsync(Path.Combine(directory, "test_unseen.jsonl"), testUnseen, cancellationToken).ConfigureAwait(false);
        await using var file = File.Create(Path.Combine(directory, "oracle.json"));
        await JsonSerializer.SerializeAsync(file, oracle, OracleJson.Indented.OracleReport, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Indented JSON for the oracle report (read by people as well as programs).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[System.Text.Json.Serialization.JsonSerializable(typeof(OracleReport))]
internal sealed partial class OracleJson : System.Text.Json.Serialization.JsonSerializerContext
{
    public static OracleJson Indented => Default;
}
