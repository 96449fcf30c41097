using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class SeededDropoutTests
{
    [Fact]
    public void Training_masks_zero_about_p_scale_the_rest_and_repeat_under_the_same_seed()
    {
        using var a = TorchRuntime.Seeded(5, () => new SeededDropout(0.25));
        using var b = TorchRuntime.Seeded(5, () => new SeededDropout(0.25));
        using var scope = NewDisposeScope();
        var x = ones(200, 50);
        var ya = a.call(x);
        var yb = b.call(x);

        var zeroFraction = ya.eq(0).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(zeroFraction, 0.22f, 0.28f);
        Assert.True(ya.masked_select(ya.ne(0)).allclose(full(1, 1 / 0.75f)));
        Assert.True(ya.equal(yb).all().item<bool>());
        Assert.False(ya.equal(a.call(x)).all().item<bool>(), "the next batch draws a new mask");

        a.eval();
        Assert.True(a.call(x).equal(x).all().item<bool>());
    }

    [Fact]
    public void Dropout_in_training_does_not_touch_the_process_wide_generator()
    {
        using var dropout = TorchRuntime.Seeded(6, () => new SeededDropout(0.5));

        // Inside Seeded nothing else may draw from the process-wide generator, so its state must not move.
        var moved = TorchRuntime.Seeded(6, () =>
        {
            using var scope = NewDisposeScope();
            var before = random.get_rng_state();
            dropout.call(ones(64, 64));
            return !before.equal(random.get_rng_state()).all().item<bool>();
        });
        Assert.False(moved);
    }

    [Fact]
    public async Task A_seeded_build_is_bit_identical_while_another_thread_trains_with_dropout()
    {
        using var stop = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        var noisy = Task.Run(() =>
        {
            using var mlp = TorchRuntime.Seeded(1, () => new Mlp(32, [32], 1, dropout: 0.5));
            mlp.train();
            while (!stop.IsCancellationRequested)
            {
                using var scope = NewDisposeScope();
                mlp.call(ones(256, 32));
                started.Set();
            }
        });

        try
        {
            float[] Build()
            {
                using var mlp = TorchRuntime.Seeded(11, () => new Mlp(256, [256, 256], 1));
                return [.. mlp.parameters().SelectMany(p => p.data<float>().ToArray())];
            }

            Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
            var first = Build();
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(first, Build());
            }
        }
        finally
        {
            stop.Cancel();
            await noisy;
        }
    }
}
