using Pluralistic.Experiments;
using Spectre.Console;

namespace Pluralistic.Cli.Output;

/// <summary>Prints one line per experiment step (generate, train, save, evaluate), not per epoch.</summary>
internal sealed class ExperimentMilestones(IAnsiConsole console) : IProgress<ExperimentProgress>
{
    public void Report(ExperimentProgress value)
    {
        if (value.Training is null)
        {
            console.MarkupLine(Markup.Escape($"  {value.Preset}{(value.Model is null ? string.Empty : " / " + value.Model)}: {value.Step}"));
        }
    }
}
