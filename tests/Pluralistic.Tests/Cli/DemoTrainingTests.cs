using Pluralistic.Cli.Commands;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;

namespace Pluralistic.Tests.Cli;

public class DemoTrainingTests
{
    [Fact]
    public void The_demo_shortens_only_vpl_and_fspo_and_never_lengthens_a_schedule()
    {
        var vpl = Assert.IsType<VplOptions>(DemoCommand.ShortenTraining(new VplOptions()));
        Assert.Equal(DemoCommand.VplDemoEpochs, vpl.Epochs);
        Assert.True(vpl.Epochs < new VplOptions().Epochs);
        Assert.Equal(new VplOptions().AdaptationSteps, vpl.AdaptationSteps);

        var fspo = Assert.IsType<FspoOptions>(DemoCommand.ShortenTraining(new FspoOptions()));
        Assert.Equal(DemoCommand.FspoDemoEpochs, fspo.Epochs);
        Assert.True(fspo.Epochs < new FspoOptions().Epochs);

        Assert.Equal(5, Assert.IsType<FspoOptions>(DemoCommand.ShortenTraining(new FspoOptions { Epochs = 5 })).Epochs);
        var pal = new PalOptions();
        Assert.Same(pal, DemoCommand.ShortenTraining(pal));
        var bt = new BradleyTerryOptions();
        Assert.Same(bt, DemoCommand.ShortenTraining(bt));
    }
}
