using Pluralistic.Models;
using Pluralistic.Models.Pal;

namespace Pluralistic.Tests.Models.Pal;

public class PalOptionsTests
{
    [Fact]
    public void Pal_is_an_available_kind_with_pal_options()
    {
        var kind = RewardModelKinds.BuiltIn.Get("pal");
        Assert.True(kind.IsPersonalized);
        var options = Assert.IsType<PalOptions>(kind.CreateDefaultOptions());
        Assert.Equal(PalVariant.B, options.Variant);
    }

    [Fact]
    public void K_defaults_by_the_data_shape_unless_set()
    {
        var options = new PalOptions();
        Assert.Equal(PalOptions.DefaultPrototypes, options.ResolvePrototypes(0));
        Assert.Equal(PalOptions.DefaultPromptPrototypes, options.ResolvePrototypes(16));
        Assert.Equal(5, (options with { Prototypes = 5 }).ResolvePrototypes(16));
    }

    [Fact]
    public void Bad_options_name_the_option()
    {
        Assert.Equal("Prototypes", Assert.Throws<ArgumentOutOfRangeException>(() => new PalOptions { Prototypes = -1 }.Validate()).ParamName);
        Assert.Equal("AdaptationSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new PalOptions { AdaptationSteps = 0 }.Validate()).ParamName);
        Assert.Equal("MaxScale", Assert.Throws<ArgumentOutOfRangeException>(() => new PalOptions { MaxScale = 1 }.Validate()).ParamName);
    }

    [Fact]
    public void Options_round_trip_through_the_manifest_json()
    {
        var options = new PalOptions { Variant = PalVariant.A, Prototypes = 5, Loss = PalLoss.Hinge, ProjectorHiddenSizes = [16, 8] };
        var json = PalKind.Instance.WriteOptions(options);
        Assert.Equal("A", json.GetProperty("variant").GetString());
        var back = Assert.IsType<PalOptions>(PalKind.Instance.ReadOptions(json));
        Assert.Equal(options.Prototypes, back.Prototypes);
        Assert.Equal(options.Loss, back.Loss);
        Assert.Equal(options.ProjectorHiddenSizes, back.ProjectorHiddenSizes);
    }
}
