using System.Security.Cryptography;
using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

public class SyntheticPopulationTests
{
    [Fact]
    public async Task The_same_preset_and_seed_write_byte_identical_files()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var options = new SyntheticPopulationOptions { Preset = "mixture", Seed = 9, SeenUsers = 20, UnseenUsers = 5 };
        await SyntheticPopulation.Generate(options).WriteAsync(a.Path);
        await SyntheticPopulation.Generate(options).WriteAsync(b.Path);

        foreach (var file in new[] { "train.jsonl", "test_seen.jsonl", "test_unseen.jsonl", "oracle.json" })
        {
            Assert.Equal(Hash(a.File(file)), Hash(b.File(file)));
        }

        await SyntheticPopulation.Generate(options with { Seed = 10 }).WriteAsync(b.Path);
        Assert.NotEqual(Hash(a.File("train.jsonl")), Hash(b.File("train.jsonl")));
    }

    [Theory]
    [InlineData("groups")]
    [InlineData("mixture")]
    [InlineData("directions")]
    [InlineData("minority")]
    public void Every_preset_leaves_room_for_personalisation_and_has_a_minority(string preset)
    {
        var population = SyntheticPopulation.Generate(preset, seed: 2);
        var seen = population.Oracle.Splits["test_seen"];

        // Noisy labels (the oracle is not perfect), yet personal rewards beat the best single reward clearly.
        Assert.InRange(seen.OracleAccuracy, 0.8, 0.95);
        Assert.True(seen.OracleAccuracy - seen.BestSingleRewardAccuracy > 0.1, $"room {seen.OracleAccuracy - seen.BestSingleRewardAccuracy:F3}");
        Assert.True(population.Oracle.GroupShares.Values.Min() <= 0.15, "a minority of 15% or less");
        Assert.Equal(population.Oracle.GroupShares.Count, seen.PerGroup.Count);
    }

    [Fact]
    public void Further_held_out_users_come_from_the_same_population_and_leave_its_data_as_it_was()
    {
        var options = new SyntheticPopulationOptions { Preset = "groups", Seed = 5, SeenUsers = 40, UnseenUsers = 8, TrainPairsPerUser = 10, TestPairsPerSeenUser = 4, UnseenPairsPerUser = 12, ResponseDimension = 16 };
        var population = SyntheticPopulation.Generate(options);
        var drawn = population.DrawHeldOutUsers(300, 12, seed: 1);
        var fresh = SyntheticPopulation.Generate(options);
        var again = fresh.DrawHeldOutUsers(300, 12, seed: 1);

        // Deterministic, and the population's own records are those of a population that drew nothing.
        Assert.Equal(again.Select(r => r.UserId), drawn.Select(r => r.UserId));
        Assert.Equal(again.Select(r => r.ChosenEmbedding!), drawn.Select(r => r.ChosenEmbedding!));
        Assert.Equal(SyntheticPopulation.Generate(options).Train.Select(r => r.ChosenEmbedding!), population.Train.Select(r => r.ChosenEmbedding!));

        // 300 new users, 12 pairs each, grouped, none of them seen or unseen already.
        var users = drawn.Select(r => r.UserId).ToList();
        var runs = users.Where((u, i) => i == 0 || users[i - 1] != u).ToList();
        Assert.Equal(300, runs.Count);
        Assert.Equal(300, runs.Distinct().Count());
        Assert.Equal(300 * 12, drawn.Count);
        Assert.DoesNotContain(runs, u => population.SeenUsers.Concat(population.UnseenUsers).Any(s => s.Value == u));
        Assert.NotEqual(runs, population.DrawHeldOutUsers(300, 12, seed: 2).Select(r => r.UserId).Distinct());
        Assert.Throws<ArgumentException>(() => population.DrawHeldOutUsers(10, 12, seed: 1));

        // Same population: the groups' shares, and labels that follow each user's hidden reward at the oracle's rate.
        var shares = drawn.GroupBy(r => r.Group!).ToDictionary(g => g.Key, g => g.Count() / (double)drawn.Count);
        foreach (var (group, share) in population.Oracle.GroupShares)
        {
            Assert.InRange(shares[group], share - 0.05, share + 0.05);
        }

        var agree = drawn.Count(r => population.TrueReward(new UserId(r.UserId!), r.ChosenEmbedding, r.PromptEmbedding)
            > population.TrueReward(new UserId(r.UserId!), r.RejectedEmbedding, r.PromptEmbedding)) / (double)drawn.Count;
        Assert.InRange(agree, population.Oracle.Splits["test_unseen"].OracleAccuracy - 0.06, population.Oracle.Splits["test_unseen"].OracleAccuracy + 0.06);
    }

    [Fact]
    public void Further_held_out_pairs_of_seen_users_follow_their_hidden_rewards_and_change_nothing()
    {
        var options = new SyntheticPopulationOptions { Preset = "groups", Seed = 6, SeenUsers = 40, UnseenUsers = 8, TrainPairsPerUser = 10, TestPairsPerSeenUser = 4, UnseenPairsPerUser = 12, ResponseDimension = 16 };
        var population = SyntheticPopulation.Generate(options);
        var drawn = population.DrawHeldOutPairs(60, seed: 1);

        Assert.Equal(40 * 60, drawn.Count);
        Assert.Equal(population.SeenUsers.Select(u => u.Value).Order(), drawn.Select(r => r.UserId!).Distinct().Order());
        Assert.All(drawn.GroupBy(r => r.UserId), g => Assert.Equal(60, g.Count()));
        Assert.Equal(population.DrawHeldOutPairs(60, seed: 1).Select(r => r.ChosenEmbedding!), drawn.Select(r => r.ChosenEmbedding!));
        Assert.NotEqual(population.DrawHeldOutPairs(60, seed: 2).Select(r => r.ChosenEmbedding!), drawn.Select(r => r.ChosenEmbedding!));
        Assert.Equal(SyntheticPopulation.Generate(options).TestSeen.Select(r => r.ChosenEmbedding!), population.TestSeen.Select(r => r.ChosenEmbedding!));
        Assert.Equal(40, population.SeenUsers.Count);

        var agree = drawn.Count(r => population.TrueReward(new UserId(r.UserId!), r.ChosenEmbedding, r.PromptEmbedding)
            > population.TrueReward(new UserId(r.UserId!), r.RejectedEmbedding, r.PromptEmbedding)) / (double)drawn.Count;
        Assert.InRange(agree, population.Oracle.Splits["test_seen"].OracleAccuracy - 0.06, population.Oracle.Splits["test_seen"].OracleAccuracy + 0.06);
    }

    [Fact]
    public void Unseen_users_records_are_grouped_so_the_first_ones_are_context()
    {
        var population = Populations.SmallGroups;
        var users = population.TestUnseen.Select(r => r.UserId).ToList();
        var runs = users.Where((u, i) => i == 0 || users[i - 1] != u).ToList();
        Assert.Equal(runs.Count, runs.Distinct().Count());
        Assert.All(users, u => Assert.StartsWith("new-user-", u, StringComparison.Ordinal));
        Assert.DoesNotContain(population.TestUnseen, r => population.SeenUsers.Any(s => s.Value == r.UserId));
    }

    [Fact]
    public void The_directions_preset_carries_ratings_with_some_missing()
    {
        var population = SyntheticPopulation.Generate(new SyntheticPopulationOptions { Preset = "directions", Seed = 1, SeenUsers = 30 });
        var data = population.ToDataset(population.Train);
        Assert.Equal(["helpfulness", "verbosity", "safety"], data.ObjectiveNames);
        var ratings = data.ChosenAttributes.ToArray();
        var missing = ratings.Count(float.IsNaN) / (double)ratings.Length;
        Assert.InRange(missing, 0.05, 0.15);
        Assert.All(ratings.Where(r => !float.IsNaN(r)), r => Assert.InRange(r, 1f, 5f));
    }

    [Fact]
    public void The_oracle_per_line_arrays_agree_with_the_split_accuracies()
    {
        var split = Populations.SmallGroups.Oracle.Splits["test_unseen"];
        var (oracle, single) = split.AccuracyOn(Enumerable.Range(0, split.Records).Select(i => (long)i));
        Assert.Equal(split.OracleAccuracy, oracle, 10);
        Assert.Equal(split.BestSingleRewardAccuracy, single, 10);
    }

    [Fact]
    public async Task The_oracle_report_round_trips_through_oracle_json()
    {
        using var dir = new TempDirectory();
        var population = Populations.SmallGroups;
        await population.WriteAsync(dir.Path);
        var report = SyntheticPopulation.ReadOracle(dir.File("oracle.json"));
        Assert.Equal(population.Oracle.Splits["test_seen"].OracleAccuracy, report.Splits["test_seen"].OracleAccuracy);
        Assert.Equal(population.Oracle.Splits["test_seen"].OracleCorrect, report.Splits["test_seen"].OracleCorrect);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
