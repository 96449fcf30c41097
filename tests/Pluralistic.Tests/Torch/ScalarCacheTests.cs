using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class ScalarCacheTests
{
    [Fact]
    public void A_value_maps_to_one_scalar_that_works_as_the_number()
    {
        Assert.Same(ScalarCache.Of(1e-12), ScalarCache.Of(1e-12));
        Assert.NotSame(ScalarCache.Of(0.5), ScalarCache.Of(0.25));

        using var scope = NewDisposeScope();
        var x = tensor(new[] { -2f, 0.1f, 3f });
        Assert.Equal(new[] { 0.5f, 0.5f, 3f }, x.clamp_min(ScalarCache.Of(0.5)).data<float>().ToArray());
        Assert.Equal(new[] { -1f, 0.05f, 1.5f }, x.mul(ScalarCache.Of(0.5)).data<float>().ToArray());
    }
}
