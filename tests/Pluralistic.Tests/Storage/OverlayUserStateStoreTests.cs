namespace Pluralistic.Tests.Storage;

public class OverlayUserStateStoreTests
{
    private static UserState State(string user, float seed) => new()
    {
        User = new UserId(user),
        ModelKind = "pal",
        ModelFingerprint = "fp",
        Vector = new[] { seed },
        PairCount = (int)seed,
    };

    [Fact]
    public async Task Writes_stay_in_the_overlay_and_the_base_is_left_as_it_was()
    {
        using var baseStore = new InMemoryUserStateStore();
        await baseStore.UpsertManyAsync([State("a", 1), State("b", 2), State("c", 3)]);
        var before = await UserStateStoreContractHelpers.ListAsync(baseStore);

        using (var overlay = new OverlayUserStateStore(baseStore))
        {
            await overlay.UpsertAsync(State("d", 4));
            await overlay.UpsertManyAsync([State("a", 10)]);
            await overlay.UpdateAsync(new UserId("b"), s => s! with { PairCount = s.PairCount + 100 });
            Assert.True(await overlay.DeleteAsync(new UserId("c")));

            Assert.Equal(["a", "b", "d"], (await UserStateStoreContractHelpers.ListAsync(overlay)).Select(s => s.User.Value));
            Assert.Equal(3, await overlay.CountAsync());
            Assert.Equal(102, (await overlay.GetAsync(new UserId("b")))!.PairCount);
            Assert.Equal(10, (await overlay.GetAsync(new UserId("a")))!.PairCount);
            Assert.Null(await overlay.GetAsync(new UserId("c")));
            Assert.False((await overlay.GetManyAsync([new UserId("c"), new UserId("a")])).ContainsKey(new UserId("c")));
        }

        var after = await UserStateStoreContractHelpers.ListAsync(baseStore);
        Assert.Equal(before, after);
        Assert.Equal([1, 2, 3], after.Select(s => s.PairCount));
    }
}

internal static class UserStateStoreContractHelpers
{
    public static async Task<List<UserState>> ListAsync(IUserStateStore store)
    {
        var states = new List<UserState>();
        await foreach (var state in store.ListAsync())
        {
            states.Add(state);
        }

        return states;
    }
}
