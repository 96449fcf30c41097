using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Pluralistic.Data;

/// <summary>
/// A synthetic population whose records are text only: short sentences built from templates in this file, about
/// several everyday topics. Everyone prefers helpful, polite answers to vague or rude ones; on one contested topic
/// (pets) two equal groups disagree — one prefers answers recommending cats, the other dogs. A population-level
/// reward is therefore at chance on the contested pairs, while a personalised one can learn each user's side from
/// a few pairs. Records carry an extra <c>topic</c> key (ignored by training, kept for analysis).
/// </summary>
public sealed class SyntheticTextPopulation : SyntheticTextPopulationBase
{
    /// <summary>The preset name.</summary>
    public const string PresetName = "text";

    /// <summary>The contested topic.</summary>
    public const string ContestedTopic = "pets";

    private const double Sharpness = 2.0;

    private static readonly string[] Groups = ["cats", "dogs"];

    private static readonly Dictionary<string, (string[] Prompts, string[] Good, string[] Bad)> Topics = new(StringComparer.Ordinal)
    {
        ["cooking"] = (
            ["What can I cook for dinner tonight?", "How do I make a quick healthy lunch?", "Any ideas for a simple weekend recipe?"],
            ["try a vegetable stir fry with garlic, ginger and rice; it takes twenty minutes", "bake salmon with lemon and herbs and serve it with a green salad", "make a lentil soup with carrots, onion and cumin; it keeps well for days"],
            ["just order a pizza", "cooking is a waste of time", "eat whatever is in the fridge"]),
        ["travel"] = (
            ["Where should I go for a short holiday?", "How do I plan a cheap city trip?", "Any tips for travelling by train?"],
            ["pick a city a few hours away by train, book a central hostel early and walk between the sights", "compare fares on several days, travel light and keep a copy of your documents", "reserve seats on long routes, pack snacks and check the connections the evening before"],
            ["stay home, travel is overrated", "go anywhere, it does not matter", "figure it out yourself"]),
        ["fitness"] = (
            ["How do I start running?", "What is a good beginner workout?", "How can I stay active with a desk job?"],
            ["start with three short runs a week, mixing one minute of running with one of walking", "do squats, push-ups and planks three times a week and add repetitions slowly", "stand up every hour, take the stairs and walk during phone calls"],
            ["exercise is pointless", "just run until it hurts", "no idea, search online"]),
        ["money"] = (
            ["How do I save more each month?", "How should I start a budget?", "Is it worth building an emergency fund?"],
            ["move a fixed amount to savings on payday and review subscriptions you no longer use", "list your income and fixed costs, then give every remaining euro a purpose", "yes, keep three months of expenses in a separate account for surprises"],
            ["money comes and goes, stop worrying", "spend it while you can", "ask someone else"]),
        [ContestedTopic] = (
            ["Which pet should I get?", "What pet suits a small apartment?", "I want a companion animal, any advice?"],
            ["a cat is the best choice: calm, independent, happy indoors and easy to care for", "adopt a cat; cats are quiet, clean and fine on their own during the day", "get a dog: loyal, playful and a great reason for daily walks outside", "adopt a dog; dogs are friendly, sociable and love going on adventures with you"],
            []),
    };

    private static readonly string[] RudeAnswers = ["no idea, ask someone else", "pets are a waste of money", "why would you want a pet"];

    private static readonly string[] GoodOpeners = ["Sure!", "Great question.", "Happy to help.", "Good idea to ask."];
    private static readonly string[] GoodClosers = ["Hope this helps!", "Let me know if you want more detail.", "Enjoy!", "Good luck!"];
    private static readonly string[] BadOpeners = ["Whatever.", "Honestly,", "Ugh.", "Meh."];
    private static readonly string[] BadClosers = ["Do not ask me again.", "That is all.", "Not my problem.", ""];

    private readonly Dictionary<UserId, (int Group, double Quality, double Stance)> _users = [];

    private SyntheticTextPopulation(SyntheticPopulationOptions options)
        : base(options)
    {
        var random = new Random(options.Seed);
        SeenUsers = DrawUsers("user", options.SeenUsers, random);
        UnseenUsers = DrawUsers("new-user", options.UnseenUsers, random);
        var mean = (Quality: SeenUsers.Average(u => _users[u].Quality), Stance: SeenUsers.Average(u => _users[u].Stance));

        var train = Draw(SeenUsers, options.TrainPairsPerUser, random, mean);
        var testSeen = Draw(SeenUsers, options.TestPairsPerSeenUser, random, mean);
        var testUnseen = Draw(UnseenUsers, options.UnseenPairsPerUser, random, mean);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(testSeen));
        Train = train.Select(s => s.Record).ToList();
        TestSeen = testSeen.Select(s => s.Record).ToList();
        TestUnseen = testUnseen.Select(s => s.Record).ToList();
        Oracle = CreateOracle(Groups.ToDictionary(g => g, _ => 0.5), Summarize(train), Summarize(testSeen), Summarize(testUnseen));
    }

    /// <inheritdoc/>
    public override string Preset => PresetName;

    /// <inheritdoc/>
    public override string Description => Describe();

    /// <summary>The two groups.</summary>
    public static IReadOnlyList<string> GroupNames => Groups;

    /// <summary>Draws the population.</summary>
    /// <param name="options">Seed and sizes (<see cref="SyntheticPopulationOptions.Preset"/> is ignored).</param>
    /// <returns>The population.</returns>
    public static SyntheticTextPopulation Generate(SyntheticPopulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SyntheticTextPopulation(options with { Preset = PresetName });
    }

    /// <summary>What the preset models.</summary>
    /// <returns>A description.</returns>
    public static string Describe() =>
        "Text only: short template sentences about cooking, travel, fitness, money and pets. Everyone prefers helpful, " +
        "polite answers to vague or rude ones; on pets two equal groups disagree (one prefers cats, the other dogs). " +
        "Records carry an extra 'topic' key.";

    /// <summary>Whether a record is on the contested topic.</summary>
    /// <param name="record">A record of this population.</param>
    /// <returns>True for the pets pairs.</returns>
    public static bool IsContested(PreferenceRecord record) =>
        record?.ExtensionData is { } extra && extra.TryGetValue("topic", out var topic) && topic.GetString() == ContestedTopic;

    /// <inheritdoc/>
    private protected override bool IsContestedPair(PreferenceRecord record) => IsContested(record);

    /// <summary>The group of a user.</summary>
    /// <param name="user">A seen or unseen user.</param>
    /// <returns>The group.</returns>
    public string GroupOf(UserId user) => Groups[_users[user].Group];

    /// <summary>Embeds the records' texts and builds a dataset (line indices are record positions).</summary>
    /// <param name="records">Records of this population.</param>
    /// <param name="embeddingGenerator">The text embedder.</param>
    /// <param name="cancellationToken">Cancels embedding.</param>
    /// <returns>The dataset.</returns>
    public static async Task<PreferenceDataset> ToDatasetAsync(
        IReadOnlyList<PreferenceRecord> records, IEmbeddingGenerator<string, Embedding<float>> embeddingGenerator, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(embeddingGenerator);
        var texts = records.SelectMany(r => new[] { r.Prompt!, r.Chosen!, r.Rejected! }).ToList();
        var vectors = await embeddingGenerator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var d = vectors[0].Vector.Length;
        var builder = new PreferenceDatasetBuilder(d, d, records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            builder.Add(new UserId(r.UserId!), vectors[(3 * i) + 1].Vector.Span, vectors[(3 * i) + 2].Vector.Span, vectors[3 * i].Vector.Span, new PreferenceRecordExtras
            {
                Line = i,
                Group = r.Group,
                PromptText = r.Prompt,
                ChosenText = r.Chosen,
                RejectedText = r.Rejected,
            });
        }

        return builder.Build();
    }

    private List<UserId> DrawUsers(string prefix, int count, Random random)
    {
        var users = new List<UserId>(count);
        for (var i = 0; i < count; i++)
        {
            var group = i % 2;
            var id = new UserId(string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i + 1:D4}"));

            // Everyone values quality; how strongly each user holds their side on pets varies.
            _users[id] = (group, 0.8 + (0.4 * random.NextDouble()), (group == 0 ? 1 : -1) * (0.7 + (0.6 * random.NextDouble())));
            users.Add(id);
        }

        return users;
    }

    private List<Sample> Draw(IReadOnlyList<UserId> users, int perUser, Random random, (double Quality, double Stance) mean)
    {
        var samples = new List<Sample>(users.Count * perUser);
        foreach (var user in users)
        {
            var (group, quality, stance) = _users[user];
            for (var k = 0; k < perUser; k++)
            {
                // A pair: on the contested topic a cat answer and a dog answer, both polite; elsewhere a polite and a rude one.
                var round = DrawRound(random, 2, contestedShare: 0.3, mixQuality: false);
                var (a, b) = (round.Candidates[0], round.Candidates[1]);
                var margin = Reward(quality, stance, a) - Reward(quality, stance, b);
                var aWins = random.NextDouble() < PairPredictions.Sigmoid(margin);
                var (chosen, rejected) = aWins ? (a, b) : (b, a);
                var record = new PreferenceRecord
                {
                    UserId = user.Value,
                    Prompt = round.Prompt,
                    Chosen = chosen.Text,
                    Rejected = rejected.Text,
                    Group = Groups[group],
                    ExtensionData = new Dictionary<string, JsonElement> { ["topic"] = JsonSerializer.SerializeToElement(round.Topic, PreferenceJsonContext.Default.String) },
                };
                var populationMargin = Reward(mean.Quality, mean.Stance, chosen) - Reward(mean.Quality, mean.Stance, rejected);
                samples.Add(new Sample(record, group, (aWins ? margin : -margin) > 0, populationMargin > 0));
            }
        }

        return samples;
    }

    /// <summary>A user's hidden reward of a candidate reply.</summary>
    /// <param name="user">A seen or unseen user.</param>
    /// <param name="candidate">A candidate from <see cref="SampleRound"/>.</param>
    /// <returns>The reward (its differences are Bradley-Terry log-odds).</returns>
    public double TrueReward(UserId user, TextCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var (_, quality, stance) = _users.TryGetValue(user, out var u) ? u : throw new UnknownUserException(user);
        return Reward(quality, stance, candidate);
    }

    /// <summary>
    /// Draws a prompt and candidate replies, as a chat product would show them: on the contested topic (about 30% of
    /// rounds) cat and dog answers, elsewhere helpful and rude ones.
    /// </summary>
    /// <param name="random">The random source.</param>
    /// <param name="candidates">How many candidates (at least 2).</param>
    /// <returns>The round.</returns>
    public static TextRound SampleRound(Random random, int candidates) => DrawRound(random, candidates, contestedShare: 0.3, mixQuality: true);

    private static TextRound DrawRound(Random random, int count, double contestedShare, bool mixQuality)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        var topics = Topics.Keys.Where(t => t != ContestedTopic).ToArray();
        var topic = random.NextDouble() < contestedShare ? ContestedTopic : topics[random.Next(topics.Length)];
        var (prompts, good, bad) = Topics[topic];
        // Exactly one helpful answer per side: on the contested topic one for cats and one for dogs, elsewhere one;
        // the other candidates are rude non-answers, so the user's favourite is unique.
        var candidates = new List<TextCandidate>(count);
        var half = good.Length / 2;
        if (topic == ContestedTopic)
        {
            candidates.Add(new TextCandidate(Polite(good[random.Next(half)], random), topic, 1, 1));
            candidates.Add(new TextCandidate(Polite(good[half + random.Next(good.Length - half)], random), topic, 1, -1));
        }
        else
        {
            candidates.Add(new TextCandidate(Polite(good[random.Next(good.Length)], random), topic, 1, 0));
        }

        var rude = topic == ContestedTopic ? RudeAnswers : bad;
        while (candidates.Count < count)
        {
            candidates.Add(mixQuality || topic != ContestedTopic
                ? new TextCandidate(Rude(rude[random.Next(rude.Length)], random), topic, -1, 0)
                : new TextCandidate(Polite(good[random.Next(good.Length)], random), topic, 1, 0));
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates));
        return new TextRound(topic, prompts[random.Next(prompts.Length)], candidates);
    }

    private static double Reward(double quality, double stance, TextCandidate item) => Sharpness * ((quality * item.Quality) + (stance * item.Stance));

    private static string Polite(string core, Random random) =>
        $"{GoodOpeners[random.Next(GoodOpeners.Length)]} {Capitalize(core)}. {GoodClosers[random.Next(GoodClosers.Length)]}";

    private static string Rude(string core, Random random) =>
        $"{BadOpeners[random.Next(BadOpeners.Length)]} {core}. {BadClosers[random.Next(BadClosers.Length)]}".TrimEnd();

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static OracleSplit Summarize(List<Sample> samples) =>
        OracleSample.Summarize(samples.Select(s => new OracleSample(s.Group, s.OracleCorrect, s.SingleCorrect)).ToList(), Groups);

    private sealed record Sample(PreferenceRecord Record, int Group, bool OracleCorrect, bool SingleCorrect);
}

/// <summary>A candidate reply and its hidden attributes.</summary>
/// <param name="Text">The reply.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Quality">+1 helpful and polite, -1 vague or rude.</param>
/// <param name="Stance">On the contested topic, +1 for cats and -1 for dogs; 0 elsewhere.</param>
public sealed record TextCandidate(string Text, string Topic, double Quality, double Stance);

/// <summary>A prompt and the candidate replies a product would rank.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="Candidates">The candidates.</param>
public sealed record TextRound(string Topic, string Prompt, IReadOnlyList<TextCandidate> Candidates);
