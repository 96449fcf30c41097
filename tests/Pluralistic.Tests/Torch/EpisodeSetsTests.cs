using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class EpisodeSetsTests
{
    [Fact]
    public void Explicit_episodes_are_padded_with_masks_that_zero_the_padding()
    {
        var batch = EpisodeBatch.Create([[1, 2, 3], []], [[4], [5, 6]], [0, 1]);
        Assert.Equal(3, batch.ContextWidth);
        Assert.Equal(2, batch.QueryWidth);
        Assert.Equal([1f, 1, 1, 0, 0, 0], batch.ContextMask);
        Assert.Equal([1f, 0, 1, 1], batch.QueryMask);
        Assert.Equal([4L, 4, 5, 6], batch.Query);
    }

    [Fact]
    public void Episodes_without_queries_or_with_mismatched_lists_are_refused()
    {
        Assert.Throws<ArgumentException>(() => EpisodeBatch.Create([[1]], [[]], [0]));
        Assert.Throws<ArgumentException>(() => EpisodeBatch.Create([[1], [2]], [[3]], [0, 1]));
    }

    [Fact]
    public void Held_out_episodes_use_each_users_most_recent_context_records_and_all_their_queries()
    {
        var population = Populations.SmallGroups;
        var data = population.ToDataset(population.Train);
        var byUser = data.RecordsByUser();
        var train = byUser.SelectMany(r => r.Take(r.Length - 5)).ToArray();
        var held = byUser.SelectMany(r => r.TakeLast(5)).ToArray();
        var batches = UserEpisodeSampler.HeldOut(data, train, held, maxContext: 4, usersPerBatch: 16);
        Assert.Equal(byUser.Count, batches.Sum(b => b.Users));
        var first = batches[0];
        var user0 = byUser[first.UserIndex[0]];
        Assert.Equal(user0.Take(user0.Length - 5).TakeLast(4).Select(r => (long)r), first.Context.Take(4));
        Assert.Equal(user0.TakeLast(5).Select(r => (long)r), first.Query.Take(5));
    }

    [Fact]
    public void Mirroring_swaps_chosen_and_rejected_in_context_and_queries_of_marked_episodes_only()
    {
        using var scope = NewDisposeScope();
        var population = Populations.SmallGroups;
        var data = population.ToDataset(population.Train);
        var byUser = data.RecordsByUser();
        using var records = new PairTensors(data, CPU);
        var batch = EpisodeBatch.Create([byUser[0][..3], byUser[1][..3]], [byUser[0][3..6], byUser[1][3..6]], [0, 1]);
        var sets = records.GatherEpisodes(batch);
        var mirrored = sets.Mirrored([true, false]);
        Assert.Equal(Values(sets.ContextRejected[0]), Values(mirrored.ContextChosen[0]));
        Assert.Equal(Values(sets.QueryChosen[0]), Values(mirrored.QueryRejected[0]));
        Assert.Equal(Values(sets.ContextChosen[1]), Values(mirrored.ContextChosen[1]));
        Assert.Equal(Values(sets.QueryChosen[1]), Values(mirrored.QueryChosen[1]));
        Assert.Same(sets, sets.Mirrored([false, false]));
        Assert.Throws<ArgumentException>(() => sets.Mirrored([true]));
    }

    [Fact]
    public void Pair_sets_keep_each_users_most_recent_pairs_within_the_batch_budget()
    {
        Assert.Equal(new[] { (0, 2), (2, 1) }, PairSets.Batches([3, 4, 9], pairsPerBatch: 10));
        using var scope = NewDisposeScope();
        var population = Populations.SmallGroups;
        var data = population.ToDataset(population.Train);
        var user = data.Select(data.RecordsByUser()[0]);
        var sets = PairSets.Pack([user, data.Select(data.RecordsByUser()[1].AsSpan(0, 2))], maxPairsPerUser: 4, CPU);
        Assert.Equal(new long[] { 2, 4, data.ResponseDimension }, sets.Chosen.shape);
        Assert.Equal([1f, 1, 1, 1, 1, 1, 0, 0], sets.Mask.data<float>().ToArray());
        Assert.Equal(user.ChosenVector(user.Count - 1).ToArray(), Values(sets.Chosen[0, 3]));
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();
}
