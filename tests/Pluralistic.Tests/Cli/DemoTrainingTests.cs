using Pluralistic.Cli.Commands;
using Pluralistic.Models;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.MaxMin;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;

namespace Pluralistic.Tests.Cli;

public class DemoTrainingTests
{
    [Fact]
    public void The_demo_shortens_only_kinds_with_a_quick_schedule_never_lengthens_one_and_trains_the_methods_alone()
    {
        var kinds = RewardModelKinds.BuiltIn;
        var vpl = Assert.IsType<VplOptions>(DemoCommand.ShortenTraining(kinds, new VplOptions()));
        Assert.Equal(kinds.Get("vpl").QuickEpochs, vpl.Epochs);
        Assert.True(vpl.Epochs < new VplOptions().Epochs);
        Assert.Equal(new VplOptions().AdaptationSteps, vpl.AdaptationSteps);

        var fspo = Assert.IsType<FspoOptions>(DemoCommand.ShortenTraining(kinds, new FspoOptions()));
        Assert.Equal(kinds.Get("fspo").QuickEpochs, fspo.Epochs);
        Assert.True(fspo.Epochs < new FspoOptions().Epochs);

        Assert.Equal(5, Assert.IsType<FspoOptions>(DemoCommand.ShortenTraining(kinds, new FspoOptions { Epochs = 5 })).Epochs);
        // Without a quick schedule only the anchor changes: the demo trains every method alone (its fold models cost minutes).
        var pal = new PalOptions();
        Assert.True(pal.PopulationAnchor);
        Assert.Equal(pal with { PopulationAnchor = false }, DemoCommand.ShortenTraining(kinds, pal));
        Assert.False(vpl.PopulationAnchor);
        Assert.False(fspo.PopulationAnchor);
        var bt = new BradleyTerryOptions();
        Assert.Equal(bt with { PopulationAnchor = false }, DemoCommand.ShortenTraining(kinds, bt));

        // MaxMin's time goes into choosing K, not epochs: the demo fixes K and leaves the rest as it is.
        var maxMin = Assert.IsType<MaxMinOptions>(DemoCommand.ShortenTraining(kinds, new MaxMinOptions()));
        Assert.Equal(2, maxMin.Groups);
        Assert.Equal(new MaxMinOptions().Epochs, maxMin.Epochs);
        Assert.Equal(new MaxMinOptions().SharedTrunk, maxMin.SharedTrunk);
        var chosen = new MaxMinOptions { Groups = 3 };
        Assert.Equal(chosen with { PopulationAnchor = false }, DemoCommand.ShortenTraining(kinds, chosen));
        Assert.Equal("vpl 25 epochs (default 100), maxmin K = 2 (default: picked by held-out likelihood), fspo 40 epochs (default 150)", DemoCommand.DescribeQuickSchedule(kinds));
    }
}
