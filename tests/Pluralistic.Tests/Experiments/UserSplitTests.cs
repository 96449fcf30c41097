using Pluralistic.Experiments;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Experiments;

public class UserSplitTests
{
    private static HashSet<string> ItemsOf(PreferenceItems items, IEnumerable<int> records) =>
        records.SelectMany(i => new[] { items.ChosenItem(i)!, items.RejectedItem(i)! }).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public async Task With_item_ids_no_held_out_pair_of_a_user_shares_an_item_with_that_users_training_pairs()
    {
        using var directory = new TempDirectory();
        var path = directory.File("ratings.jsonl");
        await new RatedItems { Users = 30, Seed = 4 }.WriteAsync(path);
        var (data, items) = await RatedItems.LoadAsync(path);

        var split = UserSplit.Create("ratings", data, items, new UserSplitOptions { Seed = 9 });

        var population = split.Population;
        var summary = split.Summary;
        Assert.True(summary.ItemDisjoint);
        Assert.True(summary.Ratings);
        Assert.Equal(60, summary.Items);
        Assert.Equal(6, summary.UnseenUsers);
        Assert.Equal(24, summary.SeenUsers);
        Assert.Equal(summary.Pairs, summary.TrainPairs + summary.HeldOutPairs + summary.SeenPairsDropped + summary.UnseenPairsUnused + (summary.UnseenUsersMeasured * summary.ContextSizes[^1]) + summary.QueryPairs);
        Assert.True(summary.SeenPairsDropped > 0, "pairs across the item cut are dropped");

        // Seen users: held-out items and training items of the same user never meet.
        var trainByUser = population.Train.RecordsByUser();
        var heldByUser = population.TestSeen.RecordsByUser();
        Assert.Equal(summary.SeenUsersMeasured, heldByUser.Count);
        for (var u = 0; u < population.TestSeen.Users.Count; u++)
        {
            var user = population.TestSeen.Users[u];
            var trained = ItemsOf(population.TrainItems!, trainByUser[population.Train.Users.ToList().IndexOf(user)]);
            Assert.Empty(ItemsOf(population.TestSeenItems!, heldByUser[u]).Intersect(trained));
        }

        // Unseen users: never in training; the first k-max records are context, the rest queries, over other items.
        var largest = summary.ContextSizes[^1];
        Assert.Equal(largest, population.UnseenQueryStart);
        Assert.Empty(population.TestUnseen.Users.Intersect(population.Train.Users));
        foreach (var records in population.TestUnseen.RecordsByUser())
        {
            Assert.True(records.Length > largest);
            Assert.Empty(ItemsOf(population.TestUnseenItems!, records[..largest]).Intersect(ItemsOf(population.TestUnseenItems!, records[largest..])));
        }

        // The same seed gives the same split.
        var again = UserSplit.Create("ratings", data, items, new UserSplitOptions { Seed = 9 });
        Assert.Equal(population.Train.ComputeFingerprint(), again.Population.Train.ComputeFingerprint());
        Assert.Equal(population.TestSeen.ComputeFingerprint(), again.Population.TestSeen.ComputeFingerprint());
        Assert.Equal(population.TestUnseen.ComputeFingerprint(), again.Population.TestUnseen.ComputeFingerprint());
    }

    [Fact]
    public async Task Without_item_ids_pairs_are_held_out_at_random_and_every_measured_seen_user_was_trained_on()
    {
        using var directory = new TempDirectory();
        var path = directory.File("vectors.jsonl");
        await new RatedItems { Users = 20, WithItems = false, Seed = 2 }.WriteAsync(path);
        var (data, items) = await RatedItems.LoadAsync(path);
        Assert.Null(items);

        var split = UserSplit.Create("vectors", data, null, new UserSplitOptions { ContextSizes = [1, 5] });

        Assert.False(split.Summary.ItemDisjoint);
        Assert.Equal(0, split.Summary.SeenPairsDropped);
        Assert.Equal([1, 5], split.Summary.ContextSizes);
        Assert.All(split.Population.TestSeen.Users, u => Assert.Contains(u, split.Population.Train.Users));
        Assert.InRange(split.Summary.HeldOutPairs / (double)(split.Summary.HeldOutPairs + split.Summary.TrainPairs), 0.15, 0.25);
    }

    [Fact]
    public void Too_few_users_or_pairs_is_a_typed_error_that_says_so()
    {
        var twoUsers = OpposingUsersData(users: 2, pairs: 20);
        var error = Assert.Throws<InvalidPreferenceDataException>(() => UserSplit.Create("two", twoUsers, null));
        Assert.Equal(PreferenceDataError.InsufficientData, error.Error);
        Assert.Contains("too few users for a split: 2 of 2 users", error.Message, StringComparison.Ordinal);

        var fewPairs = OpposingUsersData(users: 12, pairs: 3);
        error = Assert.Throws<InvalidPreferenceDataException>(() => UserSplit.Create("few", fewPairs, null));
        Assert.Contains("0 of 12 users have at least 4 pairs", error.Message, StringComparison.Ordinal);

        var tooManyContextPairs = OpposingUsersData(users: 12, pairs: 10);
        error = Assert.Throws<InvalidPreferenceDataException>(() => UserSplit.Create("short", tooManyContextPairs, null, new UserSplitOptions { ContextSizes = [1, 50] }));
        Assert.Contains("no unseen user has 50 context pairs", error.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => UserSplit.Create("bad", tooManyContextPairs, null, new UserSplitOptions { UnseenFraction = 1 }));
    }

    private static PreferenceDataset OpposingUsersData(int users, int pairs) =>
        Pluralistic.Tests.Evaluation.OpposingUsers.Generate(users, pairs, seed: 1);
}
