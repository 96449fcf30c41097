using Pluralistic.Evaluation;
using Pluralistic.Tests.Models;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Evaluation;

/// <summary>The evaluator against a real TorchSharp model: the Bradley-Terry baseline, which ignores its users.</summary>
public class BradleyTerryEvaluationTests(BradleyTerryFixture fixture) : IClassFixture<BradleyTerryFixture>
{
    [Fact]
    public async Task The_baseline_ignores_context_and_its_store_is_left_alone()
    {
        var unseen = Populations.SmallGroups.ToDataset(Populations.SmallGroups.TestUnseen);
        var storedBefore = await fixture.Model.UserStates.CountAsync();

        var result = await new PluralisticContext().Evaluation.EvaluateAsync(
            fixture.Model, unseen, new EvaluationOptions { ContextPairs = 5, MeasureContextSensitivity = true });

        Assert.Equal(0.0, result.ContextSensitivity);
        Assert.Equal(storedBefore, await fixture.Model.UserStates.CountAsync());
        Assert.Null(await fixture.Model.UserStates.GetAsync(unseen.Users[0]));

        // Oracle figures come from the generator, on the same lines.
        var oracle = Populations.SmallGroups.Oracle.Splits["test_unseen"].AccuracyOn(result.Lines);
        var compared = result.Metrics.WithReference(oracle.Oracle, oracle.BestSingle);
        Assert.InRange(compared.FractionOfOracle!.Value, 0.5, 1.1);
        Assert.NotNull(compared.GapClosed);
    }
}
