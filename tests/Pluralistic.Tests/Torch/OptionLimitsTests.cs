using Pluralistic.Models;
using Pluralistic.Models.Pal;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Torch;

/// <summary>Absurd option values are refused before anything is allocated; every kind's defaults pass, even on wide data.</summary>
public class OptionLimitsTests
{
    [Fact]
    public void Every_built_in_kind_s_defaults_pass_on_4096_dimensional_data_with_prompts()
    {
        foreach (var kind in RewardModelKinds.BuiltIn.All)
        {
            OptionLimits.Check(kind.CreateDefaultOptions(), responseDimension: 4096, promptDimension: 4096);
        }
    }

    [Fact]
    public void A_hidden_size_above_the_width_limit_is_refused_naming_the_option()
    {
        var options = new PalOptions { ProjectorHiddenSizes = [64, 1_000_000] };

        var error = Assert.Throws<OptionLimitException>(() => OptionLimits.Check(options));

        Assert.Equal("ProjectorHiddenSizes", error.Option);
        Assert.Contains("1000000 is above the limit of 65,536", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Widths_that_each_pass_but_make_a_model_too_large_are_refused_by_the_parameter_estimate()
    {
        var options = new PalOptions { Prototypes = 4_000, ProjectorHiddenSizes = [60_000] };

        var error = Assert.Throws<OptionLimitException>(() => OptionLimits.Check(options, responseDimension: 768, nameOf: n => "--" + n));

        Assert.Equal("--ProjectorHiddenSizes", error.Option);
        Assert.Contains("GiB of parameters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_refuses_absurd_adaptation_steps_before_allocating()
    {
        var population = Pluralistic.Data.SyntheticPopulation.Generate(new Pluralistic.Data.SyntheticPopulationOptions { Seed = 1, SeenUsers = 4, UnseenUsers = 1, ResponseDimension = 4 });
        var data = population.ToDataset(population.Train);
        var error = Assert.Throws<OptionLimitException>(() => RewardModelKinds.BuiltIn.Get("pal").Train(new PalOptions { AdaptationSteps = 100_000_000, Device = "cpu" }, data));

        Assert.Equal("AdaptationSteps", error.Option);
    }
}
