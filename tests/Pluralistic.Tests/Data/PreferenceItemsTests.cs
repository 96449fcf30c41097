using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

public class PreferenceItemsTests
{
    [Fact]
    public async Task Item_keys_are_read_beside_a_dataset_and_line_up_with_its_records_even_when_bad_lines_were_skipped()
    {
        using var dir = new TempDirectory();
        var path = dir.File("pairs.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"user_id":"a","chosen_embedding":[1,0],"rejected_embedding":[0,1],"item_chosen":"m1","item_rejected":"m2","rating_chosen":5,"rating_rejected":2}""",
            """{"user_id":"a","chosen_embedding":[1,0]}""",
            "",
            """{"user_id":"b","chosen_embedding":[0,1],"rejected_embedding":[1,0],"item_chosen":7,"item_rejected":"m1"}""",
            """{"user_id":"b","chosen_embedding":[0,1],"rejected_embedding":[1,1]}""",
        ]);
        var data = (await PreferenceJsonl.LoadAsync(path, new PreferenceLoadOptions { SkipInvalidRecords = true })).Dataset;

        var items = await PreferenceJsonl.ReadItemsAsync(path, data);

        Assert.NotNull(items);
        Assert.Equal(3, items.Count);
        Assert.Equal(("m1", "m2", 5.0, 2.0), (items.ChosenItem(0), items.RejectedItem(0), items.ChosenRating(0), items.RejectedRating(0)));
        Assert.Equal(("7", "m1"), (items.ChosenItem(1), items.RejectedItem(1)));
        Assert.False(items.HasRatingsAt(1));
        Assert.False(items.HasItemsAt(2));
        Assert.True(items.HasItems);
        Assert.False(items.HasRatings);

        // Subsets and flips follow the dataset's.
        var flipped = items.Select([1, 0]).WithLabelsFlipped();
        Assert.Equal(("m1", "7"), (flipped.ChosenItem(0), flipped.RejectedItem(0)));
        Assert.Equal((2.0, 5.0), (flipped.ChosenRating(1), flipped.RejectedRating(1)));
    }

    [Fact]
    public async Task A_file_without_item_keys_has_no_items_and_a_bad_key_names_its_line()
    {
        using var dir = new TempDirectory();
        var plain = dir.File("plain.jsonl");
        await File.WriteAllLinesAsync(plain, ["""{"user_id":"a","chosen_embedding":[1,0],"rejected_embedding":[0,1],"source":"x"}"""]);
        Assert.Null(await PreferenceJsonl.ReadItemsAsync(plain, await PreferenceJsonl.LoadDatasetAsync(plain)));

        foreach (var (line, expected) in new[]
        {
            ("\"rating_chosen\":\"five\"", "line 2: 'rating_chosen' must be a finite number (a rating), got \"five\""),
            ("\"item_rejected\":[1]", "line 2: 'item_rejected' must be a string or a number"),
            ("\"item_chosen\":\"\"", "line 2: 'item_chosen' is empty"),
        })
        {
            var bad = dir.File("bad.jsonl");
            await File.WriteAllLinesAsync(bad,
            [
                """{"user_id":"a","chosen_embedding":[1,0],"rejected_embedding":[0,1]}""",
                $$"""{"user_id":"a","chosen_embedding":[1,0],"rejected_embedding":[0,1],{{line}}}""",
            ]);
            var error = await Assert.ThrowsAsync<InvalidPreferenceDataException>(async () => await PreferenceJsonl.ReadItemsAsync(bad, await PreferenceJsonl.LoadDatasetAsync(bad)));
            Assert.Equal(PreferenceDataError.InvalidValue, error.Error);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentException>(() => new PreferenceItems(["a"], ["b", "c"]));
        Assert.Throws<ArgumentException>(() => new PreferenceItems([""], ["b"]));
    }

    [Fact]
    public void An_item_disjoint_split_keeps_each_users_held_out_items_out_of_their_training_pairs_and_drops_the_pairs_across()
    {
        // One user, six items, every pair of them: whatever the cut, no kept pair straddles it.
        var builder = new PreferenceDatasetBuilder(1);
        var chosen = new List<string?>();
        var rejected = new List<string?>();
        for (var a = 0; a < 6; a++)
        {
            for (var b = a + 1; b < 6; b++)
            {
                builder.Add(new UserId("u"), [a], [b]);
                chosen.Add($"i{a}");
                rejected.Add($"i{b}");
            }
        }

        var data = builder.Build();
        var items = new PreferenceItems([.. chosen], [.. rejected]);
        var (train, heldOut, dropped) = PreferenceSplits.ItemDisjoint(data, items, 0.2, seed: 1);

        // 0.2 of the kept pairs: a third of the items (2 of 6) held out, 1 pair among them, 6 among the other 4, 8 across.
        Assert.Equal((6, 1, 8), (train.Length, heldOut.Length, dropped.Length));
        var heldItems = heldOut.SelectMany(i => new[] { chosen[i], rejected[i] }).ToHashSet();
        Assert.DoesNotContain(train.SelectMany(i => new[] { chosen[i], rejected[i] }), heldItems.Contains);
        Assert.All(dropped, i => Assert.True(heldItems.Contains(chosen[i]) != heldItems.Contains(rejected[i])));
    }
}
