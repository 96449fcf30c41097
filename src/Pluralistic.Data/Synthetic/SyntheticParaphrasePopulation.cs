using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Pluralistic.Data;

/// <summary>
/// A text population that asks for meaning: every prompt and every latent response has two disjoint pools of
/// phrasings written for this preset, one used in training records and one in test records (seen users' held-out
/// pairs and unseen users' context and queries alike), so a model only scores test pairs well if its text embedder
/// carries what the sentences mean rather than which words they use. Five everyday topics; everyone prefers helpful
/// answers to dismissive ones and answers to the question asked to answers to another; on three contested topics
/// (pets: cats or dogs, food: plant-based or meat, holidays: city or nature) four groups of unequal size take
/// different sides, so no single reward and no single axis explains them. Records carry <c>topic</c> and
/// <c>pair</c> keys (ignored by training, kept for analysis).
/// </summary>
public sealed partial class SyntheticParaphrasePopulation : SyntheticTextPopulationBase
{
    /// <summary>The preset name.</summary>
    public const string PresetName = "paraphrase";

    /// <summary>The record key naming the pair's kind: <see cref="ContestedPair"/>, <see cref="QualityPair"/> or <see cref="OffTopicPair"/>.</summary>
    public const string PairKey = "pair";

    /// <summary>Two helpful answers on a contested topic that take opposite sides: the groups disagree on these.</summary>
    public const string ContestedPair = "contested";

    /// <summary>A helpful answer and a dismissive one to the same prompt: everyone prefers the helpful one.</summary>
    public const string QualityPair = "quality";

    /// <summary>A helpful answer to the prompt and a helpful answer to another topic's question: everyone prefers the first.</summary>
    public const string OffTopicPair = "off-topic";

    // Reward terms are of order 1, so a firm user's contested pair has Bradley-Terry log-odds of about 4: the oracle
    // sits near 97% (labels stay a little noisy, most of all for users whose stance is mild).
    private const double Sharpness = 2.0;
    private const double ContestedShare = 0.45;
    private const double OffTopicShare = 0.2;

    // The chance that a user holds the side opposite to their group's on a given contested topic.
    private const double MaverickRate = 0.06;

    // Per contested topic, in corpus order (pets: +1 cats; food: +1 plant-based; holidays: +1 city), each group's side.
    private static readonly (string Name, double Share, int[] Sides)[] Groups =
    [
        ("A", 0.35, [1, 1, 1]),
        ("B", 0.30, [-1, -1, 1]),
        ("C", 0.20, [-1, 1, -1]),
        ("D", 0.15, [1, -1, -1]),
    ];

    private static readonly IReadOnlyList<ParaphraseTopic> Topics = ParaphraseCorpus.Topics;
    private static readonly IReadOnlyList<ParaphraseTopic> ContestedTopicList = Topics.Where(t => t.IsContested).ToList();

    private readonly Dictionary<UserId, Taste> _users = [];

    // What every unseen record says beneath its sentences (the latent answers), in TestUnseen order: ContextBayes reads it.
    private readonly List<LatentPair> _unseenLatent;

    private SyntheticParaphrasePopulation(SyntheticPopulationOptions options)
        : base(options)
    {
        var random = new Random(options.Seed);
        SeenUsers = DrawUsers("user", options.SeenUsers, random);
        UnseenUsers = DrawUsers("new-user", options.UnseenUsers, random);
        var mean = Taste.Mean(SeenUsers.Select(u => _users[u]).ToList());

        var train = DrawPairs(SeenUsers, options.TrainPairsPerUser, test: false, random, mean);
        var testSeen = DrawPairs(SeenUsers, options.TestPairsPerSeenUser, test: true, random, mean);
        var testUnseen = DrawPairs(UnseenUsers, options.UnseenPairsPerUser, test: true, random, mean);

        // Seen users' records are interleaved as in real logs; unseen users' stay grouped so the first are context.
        random.Shuffle(CollectionsMarshal.AsSpan(train));
        random.Shuffle(CollectionsMarshal.AsSpan(testSeen));
        Train = train.Select(s => s.Record).ToList();
        TestSeen = testSeen.Select(s => s.Record).ToList();
        TestUnseen = testUnseen.Select(s => s.Record).ToList();
        _unseenLatent = testUnseen.Select(s => s.Latent).ToList();
        Oracle = CreateOracle(Groups.ToDictionary(g => g.Name, g => g.Share), Summarize(train), Summarize(testSeen), Summarize(testUnseen));
    }

    /// <inheritdoc/>
    public override string Preset => PresetName;

    /// <inheritdoc/>
    public override string Description => Describe();

    /// <summary>The groups, largest first.</summary>
    public static IReadOnlyList<string> GroupNames { get; } = Groups.Select(g => g.Name).ToList();

    /// <summary>The topics the groups disagree on.</summary>
    public static IReadOnlyList<string> ContestedTopics { get; } = ContestedTopicList.Select(t => t.Name).ToList();

    /// <summary>Draws the population.</summary>
    /// <param name="options">Seed and sizes (<see cref="SyntheticPopulationOptions.Preset"/>, the response dimension and the reward scale are ignored).</param>
    /// <returns>The population.</returns>
    public static SyntheticParaphrasePopulation Generate(SyntheticPopulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateSizes();
        return new SyntheticParaphrasePopulation(options with { Preset = PresetName });
    }

    /// <summary>What the preset models.</summary>
    /// <returns>A description.</returns>
    public static string Describe() =>
        "Text that asks for meaning: every prompt and answer has a training pool of phrasings and a disjoint test pool " +
        "(synonyms, other sentence shapes, other vocabulary), so test and context sentences never appear in training. " +
        "Five topics (pets, food, holidays, money, fitness); everyone prefers helpful answers to dismissive ones and " +
        "answers to the question asked to answers to another topic's question. Three topics are contested: four groups " +
        "(A 35%: cats, plant-based, city; B 30%: dogs, meat, city; C 20%: dogs, plant-based, nature; minority D 15%: " +
        "cats, meat, nature) take different sides, and a user's side only counts on prompts of its topic. Stances vary " +
        "in strength per user and 6% go against the user's group. Records carry 'topic' and 'pair' (contested, quality, " +
        "off-topic) keys.";

    /// <summary>Whether a record is a contested pair (two helpful answers taking opposite sides).</summary>
    /// <param name="record">A record of this population.</param>
    /// <returns>True for the contested pairs.</returns>
    public static bool IsContested(PreferenceRecord record) =>
        record?.ExtensionData is { } extra && extra.TryGetValue(PairKey, out var kind) && kind.GetString() == ContestedPair;

    /// <inheritdoc/>
    private protected override bool IsContestedPair(PreferenceRecord record) => IsContested(record);

    /// <summary>The group of a user.</summary>
    /// <param name="user">A seen or unseen user.</param>
    /// <returns>The group.</returns>
    public string GroupOf(UserId user) => Groups[Lookup(user).Group].Name;

    /// <summary>A user's hidden reward of a latent response to a prompt of a topic (differences are Bradley-Terry log-odds).</summary>
    internal double TrueReward(UserId user, ParaphraseTopic promptTopic, ParaphraseTopic answerTopic, ParaphraseAnswer answer) =>
        Lookup(user).Reward(promptTopic, answerTopic, answer);

    private Taste Lookup(UserId user) => _users.TryGetValue(user, out var taste) ? taste : throw new UnknownUserException(user);

    private List<UserId> DrawUsers(string prefix, int count, Random random)
    {
        var groups = SyntheticMath.AssignGroups(Groups.Select(g => g.Share).ToList(), count, random);
        var users = new List<UserId>(count);
        for (var i = 0; i < count; i++)
        {
            var id = new UserId(string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i + 1:D4}"));
            _users[id] = Taste.Draw(groups[i], random);
            users.Add(id);
        }

        return users;
    }

    private List<Sample> DrawPairs(IReadOnlyList<UserId> users, int perUser, bool test, Random random, Taste mean)
    {
        var samples = new List<Sample>(users.Count * perUser);
        foreach (var user in users)
        {
            var taste = _users[user];
            for (var k = 0; k < perUser; k++)
            {
                var roll = random.NextDouble();
                var kind = roll < ContestedShare ? ContestedPair : roll < ContestedShare + OffTopicShare ? OffTopicPair : QualityPair;
                var topic = kind == ContestedPair ? Pick(ContestedTopicList, random) : Pick(Topics, random);
                var prompt = Pick(topic.Prompts.For(test), random);
                var (a, b) = kind switch
                {
                    ContestedPair => (
                        new Candidate(topic, topic.Answers.Single(x => x.Stance > 0)),
                        new Candidate(topic, topic.Answers.Single(x => x.Stance < 0))),
                    QualityPair => (new Candidate(topic, Pick(topic.Helpful, random)), new Candidate(topic, Pick(topic.Dismissive, random))),
                    _ => (new Candidate(topic, Pick(topic.Helpful, random)), OffTopic(topic, random)),
                };
                var margin = taste.Reward(topic, a) - taste.Reward(topic, b);
                var aWins = random.NextDouble() < PairPredictions.Sigmoid(margin);
                var (chosen, rejected) = aWins ? (a, b) : (b, a);
                var record = new PreferenceRecord
                {
                    UserId = user.Value,
                    Prompt = prompt,
                    Chosen = Phrase(chosen.Answer, test, random),
                    Rejected = Phrase(rejected.Answer, test, random),
                    Group = Groups[taste.Group].Name,
                    ExtensionData = new Dictionary<string, JsonElement>
                    {
                        ["topic"] = JsonSerializer.SerializeToElement(topic.Name, PreferenceJsonContext.Default.String),
                        [PairKey] = JsonSerializer.SerializeToElement(kind, PreferenceJsonContext.Default.String),
                    },
                };
                var populationMargin = mean.Reward(topic, chosen) - mean.Reward(topic, rejected);
                samples.Add(new Sample(record, taste.Group, (aWins ? margin : -margin) > 0, populationMargin > 0, new LatentPair(taste.Group, kind, topic, chosen, rejected)));
            }
        }

        return samples;
    }

    private static Candidate OffTopic(ParaphraseTopic topic, Random random)
    {
        var other = Topics[random.Next(Topics.Count - 1)];
        other = ReferenceEquals(other, topic) ? Topics[^1] : other;
        return new Candidate(other, Pick(other.Helpful, random));
    }

    /// <summary>A phrasing of a latent response from the split's pool, sometimes framed by a polite or dismissive opener and closer.</summary>
    private static string Phrase(ParaphraseAnswer answer, bool test, Random random)
    {
        var (openers, closers) = answer.Quality > 0
            ? (ParaphraseCorpus.PoliteOpeners, ParaphraseCorpus.PoliteClosers)
            : (ParaphraseCorpus.DismissiveOpeners, ParaphraseCorpus.DismissiveClosers);
        var text = Pick(answer.Phrasings.For(test), random);
        if (random.NextDouble() < 0.5)
        {
            text = $"{Pick(openers.For(test), random)} {text}";
        }

        if (random.NextDouble() < 0.3)
        {
            text = $"{text} {Pick(closers.For(test), random)}";
        }

        return text;
    }

    private static T Pick<T>(IReadOnlyList<T> items, Random random) => items[random.Next(items.Count)];

    private static OracleSplit Summarize(List<Sample> samples) =>
        OracleSample.Summarize(samples.Select(s => new OracleSample(s.Group, s.OracleCorrect, s.SingleCorrect)).ToList(), GroupNames);

    private sealed record Sample(PreferenceRecord Record, int Group, bool OracleCorrect, bool SingleCorrect, LatentPair Latent);

    /// <summary>A record's latent content: the user's group, the pair's kind, the prompt's topic and the two latent answers (chosen first).</summary>
    private sealed record LatentPair(int Group, string Kind, ParaphraseTopic PromptTopic, Candidate Chosen, Candidate Rejected);

    private sealed record Candidate(ParaphraseTopic Topic, ParaphraseAnswer Answer);

    /// <summary>
    /// A user's hidden taste: how much helpfulness counts, how much an answer to another question costs, and a side
    /// per topic (0 on uncontested ones). Linear in these, so the population-mean reward is the mean taste's reward.
    /// </summary>
    private sealed record Taste(int Group, double Quality, double OffTopic, double[] Stances)
    {
        public static Taste Draw(int group, Random random)
        {
            var stances = new double[Topics.Count];
            var side = 0;
            for (var t = 0; t < Topics.Count; t++)
            {
                if (!Topics[t].IsContested)
                {
                    continue;
                }

                // The group's side, held with a strength of its own, now and then reversed.
                var strength = 0.6 + (0.8 * random.NextDouble()) + (0.2 * SyntheticMath.Gaussian(random));
                var maverick = random.NextDouble() < MaverickRate ? -1 : 1;
                stances[t] = maverick * Groups[group].Sides[side++] * strength;
            }

            return new Taste(group, 1.0 + (0.5 * random.NextDouble()), 2.0 + (0.6 * random.NextDouble()), stances);
        }

        public static Taste Mean(IReadOnlyList<Taste> tastes) => new(
            -1,
            tastes.Average(t => t.Quality),
            tastes.Average(t => t.OffTopic),
            Enumerable.Range(0, Topics.Count).Select(i => tastes.Average(t => t.Stances[i])).ToArray());

        public double Reward(ParaphraseTopic promptTopic, Candidate candidate) => Reward(promptTopic, candidate.Topic, candidate.Answer);

        public double Reward(ParaphraseTopic promptTopic, ParaphraseTopic answerTopic, ParaphraseAnswer answer)
        {
            // A side only counts when the answer addresses the prompt's topic; an answer to another question costs everyone.
            var onTopic = ReferenceEquals(answerTopic, promptTopic)
                ? answer.Stance * Stances[IndexOf(answerTopic)]
                : -OffTopic;
            return Sharpness * ((Quality * answer.Quality) + onTopic);
        }

        private static int IndexOf(ParaphraseTopic topic)
        {
            for (var i = 0; i < Topics.Count; i++)
            {
                if (ReferenceEquals(Topics[i], topic))
                {
                    return i;
                }
            }

            throw new ArgumentException($"unknown topic '{topic.Name}'", nameof(topic));
        }
    }
}
