using Pluralistic.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class AdamWOptimizerTests
{
    [Fact]
    public void It_updates_bit_for_bit_like_TorchSharps_AdamW_with_groups_a_schedule_and_a_late_parameter()
    {
        using var ours = TorchRuntime.Seeded(11, () => new TwoLayers());
        using var theirs = TorchRuntime.Seeded(11, () => new TwoLayers());
        using var optimizer = new AdamWOptimizer(ours.Groups());
        using var reference = optim.AdamW(theirs.Groups().Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate, weight_decay: g.WeightDecay)));
        var referenceGroups = reference.ParamGroups.ToList();
        var generator = new TorchSharp.torch.Generator(5);
        for (var step = 0; step < 25; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn(new long[] { 16, 4 }, generator: generator);
            var y = randn(new long[] { 16, 1 }, generator: generator);
            var factor = 1.0 - (step / 50.0);
            optimizer.SetLearningRate(0, 0.05 * factor);
            optimizer.SetLearningRate(1, 0.01 * factor);
            referenceGroups[0].LearningRate = 0.05 * factor;
            referenceGroups[1].LearningRate = 0.01 * factor;

            // The second layer joins the loss only from step 5, so its bias corrections start later than the first's.
            optimizer.ZeroGrad();
            ours.Loss(x, y, step >= 5).backward();
            optimizer.Step();
            reference.zero_grad();
            theirs.Loss(x, y, step >= 5).backward();
            reference.step();
        }

        var oursParameters = ours.parameters().ToList();
        var theirsParameters = theirs.parameters().ToList();
        Assert.Equal(theirsParameters.Count, oursParameters.Count);
        for (var i = 0; i < oursParameters.Count; i++)
        {
            Assert.True(oursParameters[i].eq(theirsParameters[i]).all().item<bool>(), $"parameter {i} differs");
        }

        using var initial = TorchRuntime.Seeded(11, () => new TwoLayers());
        Assert.False(initial.parameters().First().eq(oursParameters[0]).all().item<bool>(), "the parameters never moved");
    }

    private sealed class TwoLayers : nn.Module
    {
        private readonly Linear first = nn.Linear(4, 3);
        private readonly Linear second = nn.Linear(3, 1);

        public TwoLayers()
            : base(nameof(TwoLayers)) => RegisterComponents();

        public IEnumerable<ParameterGroup> Groups() =>
            [new ParameterGroup(first.parameters(), 0.05, 0.1), new ParameterGroup(second.parameters(), 0.01, 0.0)];

        public Tensor Loss(Tensor x, Tensor y, bool both)
        {
            var hidden = first.call(x);
            var output = both ? second.call(hidden.tanh()) : hidden.sum(1, keepdim: true);
            return output.sub(y).square().mean();
        }
    }
}
