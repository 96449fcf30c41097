namespace Pluralistic.Tests.Models.Dpa;

public class PreferenceDirectionTests
{
    private static readonly string[] Names = ["helpfulness", "verbosity", "safety"];

    [Fact]
    public void Named_weights_are_normalised_and_objectives_left_out_weigh_zero()
    {
        var direction = PreferenceDirection.FromWeights(Names, new Dictionary<string, double> { ["helpfulness"] = 1, ["verbosity"] = -0.5 });
        Assert.Equal(2 / Math.Sqrt(5), direction["helpfulness"], 12);
        Assert.Equal(-1 / Math.Sqrt(5), direction["verbosity"], 12);
        Assert.Equal(0, direction["safety"]);
        Assert.Equal("helpfulness=0.894,verbosity=-0.447,safety=0", direction.ToString());
        Assert.Equal(1, direction.Cosine(PreferenceDirection.FromWeights(Names, direction.ToDictionary())), 12);
    }

    [Fact]
    public void Angles_turn_in_the_plane_of_two_objectives()
    {
        var zero = PreferenceDirection.FromAngle(Names, "helpfulness", "safety", 0);
        var right = PreferenceDirection.FromAngle(Names, "helpfulness", "safety", 90);
        var sixty = PreferenceDirection.FromAngle(Names, "helpfulness", "safety", 60);
        Assert.Equal(PreferenceDirection.Along(Names, "helpfulness"), zero);
        Assert.Equal(1, right["safety"], 12);
        Assert.Equal(60, zero.AngleDegrees(sixty), 9);
        Assert.Equal(0.5, sixty["helpfulness"], 12);
        Assert.Equal(0, sixty["verbosity"]);
    }

    [Fact]
    public void Interpolation_follows_the_great_circle_with_equal_angles()
    {
        var from = PreferenceDirection.Along(Names, "helpfulness");
        var to = PreferenceDirection.FromWeights(Names, new Dictionary<string, double> { ["verbosity"] = 1, ["safety"] = 1 });
        Assert.Equal(from, PreferenceDirection.Interpolate(from, to, 0));
        Assert.Equal(0, PreferenceDirection.Interpolate(from, to, 1).AngleDegrees(to), 6);
        var quarter = PreferenceDirection.Interpolate(from, to, 0.25);
        Assert.Equal(22.5, from.AngleDegrees(quarter), 9);
        Assert.Equal(67.5, quarter.AngleDegrees(to), 9);
        Assert.Throws<ArgumentException>(() => PreferenceDirection.Interpolate(from, PreferenceDirection.FromWeights(Names, new Dictionary<string, double> { ["helpfulness"] = -2 }), 0.5));
    }

    [Fact]
    public void Bad_directions_are_typed_errors()
    {
        var unknown = Assert.Throws<UnknownObjectiveException>(() => PreferenceDirection.FromWeights(Names, new Dictionary<string, double> { ["humour"] = 1 }));
        Assert.Equal("unknown objective 'humour'; the model's objectives are: helpfulness, verbosity, safety", unknown.Message);
        Assert.Throws<ArgumentException>(() => PreferenceDirection.FromWeights(Names, new Dictionary<string, double> { ["safety"] = 0 }));
        Assert.Throws<ArgumentException>(() => PreferenceDirection.FromWeights(Names, new Dictionary<string, double> { ["safety"] = double.NaN }));
        Assert.Throws<ArgumentException>(() => PreferenceDirection.FromAngle(Names, "safety", "safety", 10));
        Assert.Throws<ArgumentException>(() => PreferenceDirection.FromVector(Names, [1, 0]));
        Assert.Throws<ArgumentException>(() => PreferenceDirection.Along(Names, "safety").Cosine(PreferenceDirection.Along(["safety"], "safety")));
    }
}
