using Pluralistic.Tests.Support;
using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class BatchingTests
{
    [Fact]
    public void Mini_batches_cover_every_row_once_per_epoch_in_a_seeded_order()
    {
        var rows = Enumerable.Range(0, 37).ToArray();
        var batches = new MiniBatches(37, 8);
        batches.Shuffle(new Random(1));
        var first = batches.All().SelectMany(b => b).ToArray();
        Assert.Equal(5, batches.BatchesPerEpoch);
        Assert.Equal(rows, first.Order());
        Assert.NotEqual(rows, first);

        var again = new MiniBatches(37, 8);
        again.Shuffle(new Random(1));
        Assert.Equal(first, again.All().SelectMany(b => b));
    }

    [Fact]
    public void Without_reshuffling_batches_are_consecutive_runs_in_a_shuffled_order()
    {
        var batches = new MiniBatches(37, 8, reshuffleEveryEpoch: false);
        batches.Shuffle(new Random(2));
        var ranges = Enumerable.Range(0, batches.BatchesPerEpoch).Select(batches.Range).ToList();
        Assert.Equal([0, 8, 16, 24, 32], ranges.Select(r => r.Start).Order());
        Assert.NotEqual([0, 8, 16, 24, 32], ranges.Select(r => r.Start));
        Assert.Equal(37, ranges.Sum(r => r.Length));
        Assert.Equal(Enumerable.Range(0, 37), ranges.SelectMany(r => Enumerable.Range(r.Start, r.Length)).Order());
    }

    [Fact]
    public void Episodes_split_each_users_pairs_into_disjoint_context_and_queries_of_that_user()
    {
        var data = Populations.SmallGroups.ToDataset(Populations.SmallGroups.Train);
        var sampler = new UserEpisodeSampler(data, Enumerable.Range(0, data.Count).ToList(), minContext: 2, maxContext: 8, queries: 4);
        var episodes = sampler.Sample(16, new Random(3));
        var userIndex = data.UserIndices.ToArray();
        for (var e = 0; e < episodes.Users; e++)
        {
            var context = Enumerable.Range(0, episodes.ContextWidth).Where(c => episodes.ContextMask[(e * 8) + c] > 0).Select(c => episodes.Context[(e * 8) + c]).ToList();
            var queries = Enumerable.Range(0, episodes.QueryWidth).Where(q => episodes.QueryMask[(e * 4) + q] > 0).Select(q => episodes.Query[(e * 4) + q]).ToList();
            Assert.InRange(context.Count, 2, 8);
            Assert.Equal(4, queries.Count);
            Assert.Empty(context.Intersect(queries));
            Assert.All(context.Concat(queries), r => Assert.Equal(episodes.UserIndex[e], userIndex[(int)r]));
        }

        Assert.Equal(16, episodes.UserIndex.Distinct().Count());
    }

    [Fact]
    public void The_set_encoder_ignores_padding_and_the_order_of_items()
    {
        using var encoder = TorchRuntime.Seeded(1, () => new SetEncoder(8, heads: 2));
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(1);
        var items = randn(1, 3, 8, generator: generator);
        var padded = cat([items, randn(1, 2, 8, generator: generator) * 100], dim: 1);
        var mask = tensor(new float[] { 1, 1, 1 }).view(1, 3);
        var paddedMask = tensor(new float[] { 1, 1, 1, 0, 0 }).view(1, 5);
        var permuted = items.index_select(1, tensor(new long[] { 2, 0, 1 }));

        var plain = encoder.call(items, mask);
        Assert.True(plain.allclose(encoder.call(padded, paddedMask), atol: 1e-5));
        Assert.True(plain.allclose(encoder.call(permuted, mask), atol: 1e-5));
        Assert.Equal(0f, encoder.call(padded, zeros(1, 5)).abs().sum().item<float>());
    }
}
