using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;

namespace Pluralistic.Tests.Models;

public class BradleyTerryTests
{
    [Fact]
    public async Task Mlp_head_learns_the_population_reward_on_the_groups_preset()
    {
        var population = SyntheticPopulation.Generate(new SyntheticPopulationOptions { Preset = "groups", Seed = 11, SeenUsers = 120 });
        var train = population.ToDataset(population.Train);
        var test = population.ToDataset(population.TestSeen);

        using var model = new BradleyTerryTrainer(new BradleyTerryOptions { Seed = 1, Device = "cpu" }).Fit(train);
        var predictions = await model.ScorePairsAsync(test);
        var accuracy = Enumerable.Range(0, predictions.Count).Average(i => predictions.ProbabilityChosen(i) > 0.5 ? 1.0 : 0.0);

        Assert.True(accuracy > 0.95 * population.Oracle.Splits["test_seen"].BestSingleRewardAccuracy, $"accuracy {accuracy:F3}");
    }
}

public class BradleyTerryModelBehaviourTests : IClassFixture<BradleyTerryFixture>
{
    private readonly BradleyTerryFixture _fixture;

    public BradleyTerryModelBehaviourTests(BradleyTerryFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Swapping_chosen_and_rejected_gives_one_minus_p()
    {
        var test = _fixture.Test;
        var straight = await _fixture.Model.ScorePairsAsync(test);
        var swapped = await _fixture.Model.ScorePairsAsync(test.WithLabelsFlipped());
        for (var i = 0; i < test.Count; i++)
        {
            Assert.Equal(1 - straight.ProbabilityChosen(i), swapped.ProbabilityChosen(i), 6);
        }
    }

    [Fact]
    public async Task The_reward_matrix_agrees_with_pair_scoring()
    {
        var users = _fixture.Test.Users.Take(3).ToList();
        var responses = Support.Populations.SmallGroups.SampleResponses(10, seed: 4);
        var matrix = await _fixture.Model.ScoreAsync(users, responses);
        Assert.Equal(10, matrix.ResponseCount);
        Assert.Equal(3, matrix.Users.Count);
        Assert.Equal(matrix.ForUser(0), matrix.ForUser(2)); // one reward for everyone
        var pair = await _fixture.Model.PreferenceProbabilityAsync(users[0], responses.Responses[..16].ToArray(), responses.Responses[16..32].ToArray());
        Assert.Equal(PairPredictions.Sigmoid(matrix[0, 0] - matrix[1, 0]), pair, 5);
    }

    [Fact]
    public async Task Unknown_users_fail_unless_cold_start_is_allowed()
    {
        var stranger = new UserId("nobody-knows-me");
        var responses = Support.Populations.SmallGroups.SampleResponses(4, seed: 2);
        var ex = await Assert.ThrowsAsync<UnknownUserException>(() => _fixture.Model.ScoreAsync([stranger], responses));
        Assert.Equal(stranger, ex.User);
        var cold = await _fixture.Model.ScoreAsync([stranger], responses, new ScoringOptions { AllowColdStart = true });
        Assert.Equal(4, cold.ResponseCount);
    }

    [Fact]
    public async Task Wrong_dimensions_and_directions_are_typed_errors()
    {
        var user = _fixture.Test.Users[0];
        await Assert.ThrowsAsync<DimensionMismatchException>(() => _fixture.Model.ScoreAsync([user], ResponseBatch.FromVectors([new float[3]])));
        var direction = new Dictionary<string, double> { ["helpfulness"] = 1 };
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => _fixture.Model.ScoreAsync([user], Support.Populations.SmallGroups.SampleResponses(2, 1), new ScoringOptions { Direction = direction }));
    }

    [Fact]
    public async Task Adapting_records_a_new_user_who_can_then_be_scored()
    {
        using var view = _fixture.Model.WithUserStateStore(new OverlayUserStateStore(_fixture.Model.UserStates));
        var unseen = Support.Populations.SmallGroups.ToDataset(Support.Populations.SmallGroups.TestUnseen);
        var user = unseen.Users[0];
        var pairs = unseen.Where(i => unseen.UserAt(i) == user);
        var result = await view.AdaptAsync(pairs);
        Assert.True(Assert.Single(result.Users).IsNewUser);
        Assert.Equal(pairs.Count, (await view.UserStates.GetAsync(user))!.PairCount);
        Assert.Null(await _fixture.Model.UserStates.GetAsync(user)); // the overlay kept the base store untouched
        Assert.Equal(2, (await view.ScoreAsync([user], Support.Populations.SmallGroups.SampleResponses(2, 1))).ResponseCount);
    }

    [Fact]
    public void The_same_seed_trains_bit_identical_weights()
    {
        using var again = new BradleyTerryTrainer(BradleyTerryFixture.Options).Fit(_fixture.Train);
        Assert.Equal(_fixture.Model.Fingerprint, again.Fingerprint);
        using var other = new BradleyTerryTrainer(BradleyTerryFixture.Options with { Seed = 2 }).Fit(_fixture.Train);
        Assert.NotEqual(_fixture.Model.Fingerprint, other.Fingerprint);
    }
}

public sealed class BradleyTerryFixture : IDisposable
{
    public static readonly BradleyTerryOptions Options = new() { Seed = 1, Device = "cpu", Epochs = 8 };

    public BradleyTerryFixture()
    {
        Train = Support.Populations.SmallGroups.ToDataset(Support.Populations.SmallGroups.Train);
        Test = Support.Populations.SmallGroups.ToDataset(Support.Populations.SmallGroups.TestSeen);
        Model = new BradleyTerryTrainer(Options).Fit(Train);
    }

    public PreferenceDataset Train { get; }

    public PreferenceDataset Test { get; }

    public BradleyTerryRewardModel Model { get; }

    public void Dispose() => Model.Dispose();
}
