using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Torch;

public class TrainingLoopTests
{
    [Fact]
    public void The_schedule_warms_up_linearly_then_decays_by_cosine_to_the_final_fraction()
    {
        const int Total = 100;
        const int Warmup = 10;
        Assert.Equal(0.1, TrainingLoop.LearningRateFactor(0, Total, Warmup, 0.05), 6);
        Assert.Equal(1.0, TrainingLoop.LearningRateFactor(9, Total, Warmup, 0.05), 6);
        Assert.Equal(1.0, TrainingLoop.LearningRateFactor(10, Total, Warmup, 0.05), 6);
        Assert.Equal(0.05 + (0.95 * 0.5), TrainingLoop.LearningRateFactor(55, Total, Warmup, 0.05), 6);
        Assert.Equal(0.05, TrainingLoop.LearningRateFactor(100, Total, Warmup, 0.05), 6);
        for (var step = 11; step < Total; step++)
        {
            Assert.True(TrainingLoop.LearningRateFactor(step, Total, Warmup, 0.05) <= TrainingLoop.LearningRateFactor(step - 1, Total, Warmup, 0.05));
        }
    }

    [Fact]
    public void Early_stopping_restores_the_weights_of_the_best_validation_epoch()
    {
        // Training pulls w towards 3; validation prefers w = 1. Validation improves while w approaches 1, then worsens.
        using var objective = new ToyObjective();
        var report = TrainingLoop.Run(objective, new ToyOptions { Epochs = 60, LearningRate = 0.05, WeightDecay = 0, EarlyStoppingPatience = 3, WarmupFraction = 0, GradientClipNorm = 0 });

        Assert.True(report.StoppedEarly);
        Assert.True(report.EpochsRun < 60);
        Assert.Equal(report.BestEpoch + 3, report.EpochsRun);
        Assert.Equal(ToyObjective.ValidationLossAt(objective.Weight), report.ValidationLoss, 5);
        Assert.True(Math.Abs(objective.Weight - 1) < 0.1, $"restored w = {objective.Weight}");
    }

    [Fact]
    public void Cancellation_stops_training_with_the_token()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        using var objective = new ToyObjective();
        Assert.Throws<OperationCanceledException>(() => TrainingLoop.Run(objective, new ToyOptions(), cancellationToken: source.Token));
    }

    private sealed record ToyOptions : RewardTrainerOptions;

    private sealed class ToyModule : nn.Module
    {
        private readonly TorchSharp.Modules.Parameter w;

        public ToyModule()
            : base("toy")
        {
            w = nn.Parameter(zeros(1));
            RegisterComponents();
        }

        public TorchSharp.Modules.Parameter W => w;
    }

    private sealed class ToyObjective : TrainingObjective, IDisposable
    {
        private readonly ToyModule _module = new();

        public override nn.Module Module => _module;

        public override int StepsPerEpoch => 1;

        public override bool HasValidation => true;

        public double Weight => _module.W.item<float>();

        public static double ValidationLossAt(double w) => (w - 1) * (w - 1);

        public override Tensor Loss(int step, Random random) => (_module.W - 3).pow(2).sum();

        public override ValidationResult Validate() => new(ValidationLossAt(Weight), double.NaN);

        public void Dispose() => _module.Dispose();
    }
}
