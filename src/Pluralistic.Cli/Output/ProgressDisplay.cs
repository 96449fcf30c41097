using Spectre.Console;

namespace Pluralistic.Cli.Output;

/// <summary>
/// Shows training progress: a live Spectre progress bar on an interactive terminal, plain milestone lines when
/// output is redirected (CI, files), nothing with <c>--json</c>.
/// </summary>
internal static class ProgressDisplay
{
    public static T Run<T>(IAnsiConsole console, bool quiet, string title, Func<IProgress<TrainingProgress>?, T> work)
    {
        if (quiet)
        {
            return work(null);
        }

        if (!console.Profile.Capabilities.Interactive)
        {
            return work(new MilestoneProgress(console, title));
        }

        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1.0);
                var result = work(new Callback(p =>
                {
                    task.Value = p.Fraction;
                    task.Description = Markup.Escape($"{title}: {Describe(p)}");
                }));
                task.Value = 1.0;
                return result;
            });
    }

    public static string Describe(TrainingProgress p)
    {
        var text = $"{p.Phase} epoch {p.Epoch}/{p.TotalEpochs}, loss {p.TrainingLoss:F4}";
        if (!double.IsNaN(p.ValidationAccuracy))
        {
            text += $", validation accuracy {p.ValidationAccuracy:F3}";
        }

        return text;
    }

    /// <summary>Synchronous (unlike <see cref="Progress{T}"/>, which posts to the thread pool and can report late).</summary>
    private sealed class Callback(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Prints a line at every tenth of the work, so logs show progress without one line per epoch.</summary>
    private sealed class MilestoneProgress(IAnsiConsole console, string title) : IProgress<TrainingProgress>
    {
        private int _lastDecile = -1;
        private string? _lastPhase;

        public void Report(TrainingProgress value)
        {
            var decile = (int)Math.Floor(value.Fraction * 10);
            if (decile == _lastDecile && value.Phase == _lastPhase)
            {
                return;
            }

            _lastDecile = decile;
            _lastPhase = value.Phase;
            console.MarkupLine(Markup.Escape($"  {title}: {Describe(value)}"));
        }
    }
}
