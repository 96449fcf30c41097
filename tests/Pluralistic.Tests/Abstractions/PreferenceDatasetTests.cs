namespace Pluralistic.Tests.Abstractions;

public class PreferenceDatasetTests
{
    private static PreferenceDataset Sample()
    {
        var builder = new PreferenceDatasetBuilder(2);
        var users = new[] { "a", "b", "a", "c", "a", "b" };
        for (var i = 0; i < users.Length; i++)
        {
            builder.Add(new UserId(users[i]), [i, 0], [0, i], extras: new PreferenceRecordExtras { Group = i % 2 == 0 ? "even" : "odd", Weight = i + 1 });
        }

        return builder.Build();
    }

    [Fact]
    public void Select_reindexes_users_and_groups_and_keeps_lines()
    {
        var subset = Sample().Select([3, 1, 5]);
        Assert.Equal(["c", "b"], subset.Users.Select(u => u.Value));
        Assert.Equal([0, 1, 1], subset.UserIndices.ToArray());
        Assert.Equal(["odd"], subset.GroupNames);
        Assert.Equal([3L, 1L, 5L], Enumerable.Range(0, 3).Select(subset.LineAt));
        Assert.Equal([3f, 0f], subset.ChosenVector(0).ToArray());
        Assert.Equal(6f, subset.WeightAt(2));
    }

    [Fact]
    public void Flipping_labels_swaps_chosen_and_rejected()
    {
        var data = Sample();
        var flipped = data.WithLabelsFlipped();
        Assert.Equal(data.ChosenVector(4).ToArray(), flipped.RejectedVector(4).ToArray());
        Assert.Equal(data.RejectedVector(4).ToArray(), flipped.ChosenVector(4).ToArray());
        Assert.NotEqual(data.ComputeFingerprint(), flipped.ComputeFingerprint());
    }

    [Fact]
    public void Records_by_user_follow_record_order()
    {
        var byUser = Sample().RecordsByUser();
        Assert.Equal([0, 2, 4], byUser[0]);
        Assert.Equal([1, 5], byUser[1]);
        Assert.Equal([3], byUser[2]);
    }

    [Fact]
    public void Context_is_each_users_first_records_in_file_order()
    {
        var (context, queries) = PreferenceSplits.ContextAndQueries(Sample(), 1);
        Assert.Equal([0, 1, 3], context);
        Assert.Equal([2, 4, 5], queries);
    }

    [Fact]
    public void Validation_holds_out_pairs_of_every_user_but_never_all_of_them()
    {
        var (train, validation) = PreferenceSplits.TrainValidation(Sample(), 0.5, seed: 1);
        Assert.Equal(6, train.Length + validation.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Contains(3, train); // user c has a single pair, which stays in training
        Assert.Equal(2, validation.Length);
    }

    [Fact]
    public void The_builder_rejects_bad_vectors_with_typed_errors()
    {
        var builder = new PreferenceDatasetBuilder(2);
        Assert.Equal(PreferenceDataError.DimensionMismatch, Assert.Throws<InvalidPreferenceDataException>(() => builder.Add(new UserId("u"), [1, 2, 3], [1, 2])).Error);
        Assert.Equal(PreferenceDataError.NonFiniteValue, Assert.Throws<InvalidPreferenceDataException>(() => builder.Add(new UserId("u"), [float.NaN, 2], [1, 2])).Error);
        Assert.Equal(PreferenceDataError.InconsistentPrompts, Assert.Throws<InvalidPreferenceDataException>(() => builder.Add(new UserId("u"), [1, 2], [1, 2], [1])).Error);
        Assert.Equal(PreferenceDataError.Empty, Assert.Throws<InvalidPreferenceDataException>(builder.Build).Error);
        Assert.Throws<ArgumentException>(() => new UserId(" "));
        Assert.Throws<ArgumentException>(() => new UserId(new string('x', 257)));
    }

    [Fact]
    public void Evidence_keeps_the_most_recent_pairs()
    {
        float[] old = [1, 1, 2, 2, 3, 3];
        float[] added = [4, 4, 5, 5];
        var (packed, count) = UserEvidence.Append(old, added, stride: 2, capacity: 4);
        Assert.Equal(4, count);
        Assert.Equal([2f, 2, 3, 3, 4, 4, 5, 5], packed);

        var (onlyNew, newCount) = UserEvidence.Append(old, [6, 6, 7, 7, 8, 8], stride: 2, capacity: 2);
        Assert.Equal(2, newCount);
        Assert.Equal([7f, 7, 8, 8], onlyNew);
    }

    [Fact]
    public void Evidence_round_trips_through_packing()
    {
        var data = Sample();
        var packed = UserEvidence.Pack(data, [0, 2]);
        var unpacked = UserEvidence.Unpack(new UserId("a"), packed, 2, 0)!;
        Assert.Equal(2, unpacked.Count);
        Assert.Equal(data.ChosenVector(2).ToArray(), unpacked.ChosenVector(1).ToArray());
        Assert.Equal(3f, unpacked.WeightAt(1));
    }
}
