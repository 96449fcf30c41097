using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Pluralistic.Data;
using Pluralistic.Experiments;
using Pluralistic.Tests.Cli;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

public partial class SyntheticParaphrasePopulationTests
{
    private static readonly SyntheticPopulationOptions Options = new() { Seed = 4, SeenUsers = 60, UnseenUsers = 20, TrainPairsPerUser = 40, TestPairsPerSeenUser = 20, UnseenPairsPerUser = 40 };

    private static readonly Lazy<SyntheticParaphrasePopulation> Population = new(() => SyntheticParaphrasePopulation.Generate(Options));

    // Function words and a few everyday ones; what is left carries meaning.
    private static readonly HashSet<string> StopWords = new(
        """
        a about above after again against all almost along also always am an and any anyone anything are around as at
        away back be because been before being below between both but by can cannot could did do does doing don done
        down during each either else enough even ever every few for from further get gets getting give go goes going
        gone got had has have having he her here hers him his how i if in into is it its itself just keep let like
        little lot lots made make makes many may me might more most much must my need needs never new next no nor not
        now of off on once one only or other our ours out over own per put quite rather really same see should so some
        something somewhere still such take than that the their them then there these they thing things this those
        though through to too under until up upon us very want was way we well were what when where whether which while
        who whom whose why will with within without would yes yet you your yours yourself
        youd youll youre theyre whats wheres wont dont couldnt isnt ive
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries),
        StringComparer.Ordinal);

    [Fact]
    public async Task The_same_seed_writes_byte_identical_files_and_another_seed_does_not()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var options = Options with { SeenUsers = 12, UnseenUsers = 4, TrainPairsPerUser = 10 };
        await SyntheticParaphrasePopulation.Generate(options).WriteAsync(a.Path);
        await SyntheticParaphrasePopulation.Generate(options).WriteAsync(b.Path);
        foreach (var file in new[] { "train.jsonl", "test_seen.jsonl", "test_unseen.jsonl", "oracle.json" })
        {
            Assert.Equal(Hash(a.File(file)), Hash(b.File(file)));
        }

        await SyntheticParaphrasePopulation.Generate(options with { Seed = 5 }).WriteAsync(b.Path);
        Assert.NotEqual(Hash(a.File("train.jsonl")), Hash(b.File("train.jsonl")));
    }

    [Fact]
    public void No_test_or_context_sentence_is_a_training_sentence()
    {
        var population = Population.Value;
        var training = population.Train.SelectMany(Texts).ToHashSet(StringComparer.Ordinal);
        var test = population.TestSeen.Concat(population.TestUnseen).SelectMany(Texts).ToList();
        Assert.DoesNotContain(test, training.Contains);

        // Every answer is a phrasing of its split's pool, and no pool shares a phrasing with the other split.
        Assert.All(population.Train, r => Assert.All(new[] { r.Chosen!, r.Rejected! }, t => Identify(t, test: false)));
        Assert.All(population.TestUnseen, r => Assert.All(new[] { r.Chosen!, r.Rejected! }, t => Identify(t, test: true)));
        Assert.All(Meanings(), m => Assert.Empty(m.Train.Intersect(m.Test, StringComparer.Ordinal)));
    }

    [Fact]
    public void No_word_that_marks_a_meaning_in_training_appears_in_its_test_phrasings()
    {
        // A facet is a meaning: a latent response (pets/cat), a topic, a topic's questions, dismissiveness, politeness.
        // Its marking words appear in its training phrasings and in no other training phrasing.
        var meanings = Meanings();
        var leaks = new List<string>();
        var marking = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var facet in meanings.SelectMany(m => m.Facets).Distinct())
        {
            var inside = meanings.Where(m => m.Facets.Contains(facet)).SelectMany(m => m.Train).SelectMany(ContentWords).ToHashSet();
            var outside = meanings.Where(m => !m.Facets.Contains(facet)).SelectMany(m => m.Train).SelectMany(ContentWords);
            inside.ExceptWith(outside);
            marking[facet] = inside;
            leaks.AddRange(meanings.Where(m => m.Facets.Contains(facet)).SelectMany(m => m.Test)
                .Where(s => ContentWords(s).Any(inside.Contains))
                .Select(s => $"{facet}: {s}"));
        }

        Assert.Empty(leaks);

        // The check has teeth: the obvious words mark their meanings in training, and test phrasings say them otherwise.
        Assert.Contains("cat", marking["pets/cat"]);
        Assert.Contains("dog", marking["pets/dog"]);
        Assert.Contains("vegetarian", marking["food/plant"]);
        Assert.Contains("pet", marking["pets"]);
        Assert.Contains("whatever", marking["dismissive"]);
        Assert.Contains("feline", ParaphraseCorpus.Topics[0].Answers[0].Phrasings.Test.SelectMany(ContentWords));
    }

    [Fact]
    public void Training_and_test_phrasings_of_each_meaning_share_at_most_a_fifth_of_their_content_words_and_come_in_dozens()
    {
        foreach (var (facets, train, test) in Meanings().Where(m => m.Facets.Any(f => f.Contains('/', StringComparison.Ordinal))))
        {
            var trainWords = train.SelectMany(ContentWords).ToHashSet();
            var testWords = test.SelectMany(ContentWords).ToHashSet();
            var shared = testWords.Count(trainWords.Contains) / (double)testWords.Count;
            Assert.True(shared <= 0.2, $"{string.Join(",", facets)}: {shared:P0} of the test phrasings' content words are in the training phrasings");
            Assert.True(train.Count >= 16 && test.Count >= 16, $"{string.Join(",", facets)}: {train.Count} / {test.Count} phrasings");
        }

        Assert.All(ParaphraseCorpus.Topics.SelectMany(t => t.Helpful), a => Assert.True(a.Phrasings.Train.Count >= 24 && a.Phrasings.Test.Count >= 24, a.Name));
    }

    [Fact]
    public void Four_groups_of_the_documented_sizes_take_different_sides_on_three_contested_topics()
    {
        var population = Population.Value;
        var shares = population.Oracle.GroupShares;
        Assert.Equal(["A", "B", "C", "D"], SyntheticParaphrasePopulation.GroupNames);
        Assert.Equal([0.35, 0.30, 0.20, 0.15], SyntheticParaphrasePopulation.GroupNames.Select(g => shares[g]));
        foreach (var group in SyntheticParaphrasePopulation.GroupNames)
        {
            var users = population.SeenUsers.Count(u => population.GroupOf(u) == group);
            Assert.InRange(users, (shares[group] * Options.SeenUsers) - 1, (shares[group] * Options.SeenUsers) + 1);
        }

        // On each contested topic, which side each group's users choose in training: every group takes a clear side,
        // every topic splits the groups, and no two topics split them the same way (no single axis explains them).
        Assert.Equal(["pets", "food", "holidays"], SyntheticParaphrasePopulation.ContestedTopics);
        var splits = new List<string>();
        foreach (var topic in SyntheticParaphrasePopulation.ContestedTopics)
        {
            var sides = SyntheticParaphrasePopulation.GroupNames.Select(group =>
            {
                var pairs = population.Train.Where(r => r.Group == group && SyntheticParaphrasePopulation.IsContested(r) && TopicOf(r) == topic).ToList();
                var positive = pairs.Average(r => Identify(r.Chosen!, test: false).Answer.Stance > 0 ? 1.0 : 0);
                Assert.True(positive is > 0.8 or < 0.2, $"{topic}, group {group}: {positive:P0} chose the first side");
                return positive > 0.5 ? '+' : '-';
            }).ToArray();
            Assert.Contains('+', sides);
            Assert.Contains('-', sides);
            splits.Add(sides[0] == '+' ? new string(sides) : new string(sides.Select(s => s == '+' ? '-' : '+').ToArray()));
        }

        Assert.Equal(splits.Count, splits.Distinct().Count());
    }

    [Fact]
    public void Labels_follow_each_users_hidden_reward_at_the_oracle_rate_and_one_reward_cannot_follow_the_contested_pairs()
    {
        var population = Population.Value;
        foreach (var (records, split) in new[] { (population.TestSeen, "test_seen"), (population.TestUnseen, "test_unseen") })
        {
            var oracle = population.Oracle.Splits[split];
            var agree = records.Select(r => (byte)(HiddenMargin(population, r) > 0 ? 1 : 0)).ToList();
            Assert.Equal(oracle.OracleCorrect, agree);
            Assert.InRange(oracle.OracleAccuracy, 0.94, 0.995);
            Assert.True(oracle.OracleAccuracy - oracle.BestSingleRewardAccuracy > 0.12, $"{split}: oracle {oracle.OracleAccuracy:F3}, best single {oracle.BestSingleRewardAccuracy:F3}");

            var contested = records.Select((r, i) => (r, i)).Where(x => SyntheticParaphrasePopulation.IsContested(x.r)).Select(x => (long)x.i).ToList();
            Assert.InRange(contested.Count / (double)records.Count, 0.35, 0.55);
            var (oracleContested, singleContested) = oracle.AccuracyOn(contested);
            Assert.True(oracleContested > 0.93, $"{split}: oracle on contested pairs {oracleContested:F3}");
            Assert.True(singleContested < 0.7, $"{split}: best single reward on contested pairs {singleContested:F3}");
        }
    }

    [Fact]
    public void The_prompt_decides_which_answer_wins_and_answers_to_another_question_lose()
    {
        var population = Population.Value;
        var (pets, food, money) = (Topic("pets"), Topic("food"), Topic("money"));
        var (cat, dog, plant) = (pets.Answers.Single(a => a.Stance > 0), pets.Answers.Single(a => a.Stance < 0), food.Answers.Single(a => a.Stance > 0));
        foreach (var user in population.SeenUsers.Concat(population.UnseenUsers))
        {
            // The same two answers, opposite winners: each wins under its own topic's prompt, for everyone.
            Assert.True(population.TrueReward(user, pets, pets, cat) > population.TrueReward(user, pets, food, plant));
            Assert.True(population.TrueReward(user, food, food, plant) > population.TrueReward(user, food, pets, cat));

            // A side only counts on its own topic: to a money question, cats and dogs are equally beside the point.
            Assert.Equal(population.TrueReward(user, money, pets, cat), population.TrueReward(user, money, pets, dog));
        }

        // Under the pets prompt itself, users disagree.
        var prefersCats = population.SeenUsers.Count(u => population.TrueReward(u, pets, pets, cat) > population.TrueReward(u, pets, pets, dog));
        Assert.InRange(prefersCats, Options.SeenUsers / 4, Options.SeenUsers * 3 / 4);

        // And in the labels: in off-topic pairs the answer to the question asked is chosen.
        var offTopic = population.TestSeen.Where(r => PairOf(r) == SyntheticParaphrasePopulation.OffTopicPair).ToList();
        Assert.InRange(offTopic.Count / (double)population.TestSeen.Count, 0.12, 0.28);
        Assert.True(offTopic.Average(r => Identify(r.Chosen!, test: true).Topic.Name == TopicOf(r) ? 1.0 : 0) > 0.93);
    }

    [Fact]
    public async Task Generate_writes_the_paraphrase_preset_and_its_files_load()
    {
        using var directory = new TempDirectory();
        var run = await CliRunner.RunAsync("generate", "--preset", "paraphrase", "--out", directory.Path, "--seed", "3", "--seen-users", "20", "--unseen-users", "5", "--train-pairs", "10", "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("\"preset\":\"paraphrase\"", run.Json, StringComparison.Ordinal);

        var expected = new Dictionary<string, int> { ["train.jsonl"] = 200, ["test_seen.jsonl"] = 400, ["test_unseen.jsonl"] = 200 };
        foreach (var (file, count) in expected)
        {
            var records = new List<PreferenceRecord>();
            await foreach (var (_, record) in PreferenceJsonl.ReadRecordsAsync(directory.File(file)))
            {
                records.Add(record);
            }

            Assert.Equal(count, records.Count);
            Assert.All(records, r => Assert.True(r.Prompt is not null && r.Chosen is not null && r.Group is not null && TopicOf(r) is not null && PairOf(r) is not null));
        }

        var oracle = SyntheticPopulation.ReadOracle(directory.File("oracle.json"));
        Assert.Equal(SyntheticParaphrasePopulation.PresetName, oracle.Preset);
        Assert.Equal(4, oracle.GroupShares.Count);
        Assert.Equal(400, oracle.Splits["test_seen"].Records);
    }

    [Fact]
    public async Task Experiments_prepare_it_as_a_text_population_with_its_contested_pairs_marked()
    {
        Assert.Contains(SyntheticParaphrasePopulation.PresetName, PreparedPopulation.Presets);
        Assert.DoesNotContain(SyntheticParaphrasePopulation.PresetName, PreparedPopulation.DemoPresets);
        var options = Options with { SeenUsers = 16, UnseenUsers = 4, TrainPairsPerUser = 10, TestPairsPerSeenUser = 4, UnseenPairsPerUser = 12 };
        var prepared = await PreparedPopulation.CreateAsync(SyntheticParaphrasePopulation.PresetName, options);
        var population = SyntheticParaphrasePopulation.Generate(options);

        Assert.Equal(SyntheticParaphrasePopulation.Describe(), prepared.Description);
        Assert.Equal(SyntheticParaphrasePopulation.Describe(), PreparedPopulation.Describe(SyntheticParaphrasePopulation.PresetName));
        Assert.NotNull(prepared.Embedder);
        Assert.Equal(population.TestUnseen.Count, prepared.TestUnseen.Count);
        Assert.Equal(population.TestUnseen[0].Chosen, prepared.TestUnseen.ChosenTextAt(0));
        var contested = Enumerable.Range(0, population.TestUnseen.Count).Where(i => SyntheticParaphrasePopulation.IsContested(population.TestUnseen[i])).ToHashSet();
        Assert.NotEmpty(contested);
        Assert.Equal(contested.Order(), prepared.ContestedUnseenRecords.Order());
    }

    private static List<(HashSet<string> Facets, IReadOnlyList<string> Train, IReadOnlyList<string> Test)> Meanings()
    {
        var meanings = new List<(HashSet<string>, IReadOnlyList<string>, IReadOnlyList<string>)>();
        foreach (var topic in ParaphraseCorpus.Topics)
        {
            meanings.Add(([topic.Name, $"{topic.Name}/prompt"], topic.Prompts.Train, topic.Prompts.Test));
            foreach (var answer in topic.Answers)
            {
                HashSet<string> facets = [topic.Name, $"{topic.Name}/{answer.Name}"];
                if (answer.Quality < 0)
                {
                    facets.Add("dismissive");
                }

                meanings.Add((facets, answer.Phrasings.Train, answer.Phrasings.Test));
            }
        }

        meanings.Add((["polite"], [.. ParaphraseCorpus.PoliteOpeners.Train, .. ParaphraseCorpus.PoliteClosers.Train], [.. ParaphraseCorpus.PoliteOpeners.Test, .. ParaphraseCorpus.PoliteClosers.Test]));
        meanings.Add((["dismissive"], [.. ParaphraseCorpus.DismissiveOpeners.Train, .. ParaphraseCorpus.DismissiveClosers.Train], [.. ParaphraseCorpus.DismissiveOpeners.Test, .. ParaphraseCorpus.DismissiveClosers.Test]));
        return meanings;
    }

    /// <summary>Lower-case content words, crudely stemmed so that "cats" and "cat", "hiking" and "hike" meet.</summary>
    private static IEnumerable<string> ContentWords(string text) =>
        Letters().Matches(text.ToLowerInvariant().Replace("'", string.Empty, StringComparison.Ordinal))
            .Select(m => m.Value)
            .Where(w => w.Length >= 3 && !StopWords.Contains(w))
            .Select(Stem);

    private static string Stem(string word)
    {
        if (word.Length > 5 && word.EndsWith("ing", StringComparison.Ordinal))
        {
            word = word[..^3];
        }
        else if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal))
        {
            word = word[..^3] + "y";
        }
        else if (word.Length > 4 && word.EndsWith("ed", StringComparison.Ordinal))
        {
            word = word[..^2];
        }
        else if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal))
        {
            word = word[..^1];
        }

        return word.Length > 5 && word.EndsWith("ly", StringComparison.Ordinal) ? word[..^2] : word;
    }

    /// <summary>The latent response a generated answer phrases (its core phrasing is one of the split's pool).</summary>
    private static (ParaphraseTopic Topic, ParaphraseAnswer Answer) Identify(string text, bool test)
    {
        var matches = ParaphraseCorpus.Topics
            .SelectMany(t => t.Answers.Select(a => (Topic: t, Answer: a)))
            .Where(x => x.Answer.Phrasings.For(test).Any(p => text.Contains(p, StringComparison.Ordinal)))
            .ToList();
        Assert.True(matches.Count == 1, $"'{text}' matches {matches.Count} latent responses of the {(test ? "test" : "training")} pools");
        return matches[0];
    }

    private static double HiddenMargin(SyntheticParaphrasePopulation population, PreferenceRecord record)
    {
        var user = new UserId(record.UserId!);
        var prompt = ParaphraseCorpus.Topics.Single(t => t.Prompts.Test.Contains(record.Prompt!));
        Assert.Equal(prompt.Name, TopicOf(record));
        var chosen = Identify(record.Chosen!, test: true);
        var rejected = Identify(record.Rejected!, test: true);
        return population.TrueReward(user, prompt, chosen.Topic, chosen.Answer) - population.TrueReward(user, prompt, rejected.Topic, rejected.Answer);
    }

    private static ParaphraseTopic Topic(string name) => ParaphraseCorpus.Topics.Single(t => t.Name == name);

    private static string? TopicOf(PreferenceRecord record) => Extension(record, "topic");

    private static string? PairOf(PreferenceRecord record) => Extension(record, SyntheticParaphrasePopulation.PairKey);

    private static string? Extension(PreferenceRecord record, string key) =>
        record.ExtensionData is { } extra && extra.TryGetValue(key, out var value) ? value.GetString() : null;

    private static IEnumerable<string> Texts(PreferenceRecord record) => [record.Prompt!, record.Chosen!, record.Rejected!];

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [GeneratedRegex("[a-z]+")]
    private static partial Regex Letters();
}
