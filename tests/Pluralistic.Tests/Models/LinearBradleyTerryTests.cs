using Pluralistic.Models.BradleyTerry;

namespace Pluralistic.Tests.Models;

public class LinearBradleyTerryTests
{
    [Fact]
    public async Task The_linear_head_recovers_a_linear_reward_as_logistic_regression_on_differences()
    {
        const int D = 16;
        var random = new Random(4);
        var w = Enumerable.Range(0, D).Select(_ => random.NextDouble() - 0.5).ToArray();
        (PreferenceDataset Data, double OracleAccuracy) Draw(int n)
        {
            var builder = new PreferenceDatasetBuilder(D);
            var oracleCorrect = 0;
            for (var i = 0; i < n; i++)
            {
                var a = Enumerable.Range(0, D).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var b = Enumerable.Range(0, D).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var margin = 8 * a.Zip(b, (x, y) => x - y).Select((v, k) => v * w[k]).Sum();
                var aWins = random.NextDouble() < PairPredictions.Sigmoid(margin);
                oracleCorrect += aWins == margin > 0 ? 1 : 0;
                builder.Add(new UserId($"u{i % 50}"), aWins ? a : b, aWins ? b : a);
            }

            return (builder.Build(), oracleCorrect / (double)n);
        }

        var (train, _) = Draw(6000);
        var (test, oracle) = Draw(3000);
        using var model = new BradleyTerryTrainer(new BradleyTerryOptions
        {
            Head = RewardHead.Linear,
            Device = "cpu",
            BatchSize = 512,
            LearningRate = 0.03,
            WeightDecay = 0,
            Epochs = 20,
            ReshuffleEveryEpoch = false,
        }).Fit(train);

        var predictions = await model.ScorePairsAsync(test);
        var accuracy = Support.Populations.Accuracy(predictions);
        Assert.True(accuracy > oracle - 0.02, $"accuracy {accuracy:F3}, oracle {oracle:F3}");

        var swapped = await model.ScorePairsAsync(test.WithLabelsFlipped());
        Assert.Equal(1 - predictions.ProbabilityChosen(7), swapped.ProbabilityChosen(7), 6);
    }
}
