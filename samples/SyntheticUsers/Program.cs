using System.CommandLine;
using Pluralistic.Evaluation;
using Pluralistic.Experiments;
using Pluralistic.Models;
using Spectre.Console;

// Simulates a population of synthetic users, trains every available method, and plots how fast each one learns a
// new user: accuracy on that user's held-out pairs after k of their pairs (k = 1, 2, 5, 10, 20).
var preset = new Option<string>("--preset") { Description = $"The population: {string.Join(", ", PreparedPopulation.Presets)}.", DefaultValueFactory = _ => "groups" };
preset.AcceptOnlyFromAmong([.. PreparedPopulation.Presets]);
var models = new Option<string?>("--models") { Description = "Comma-separated model kinds (default: every available one)." };
var output = new Option<FileInfo>("--out") { Description = "The PNG to write.", DefaultValueFactory = _ => new FileInfo("learning-curves.png") };
var seed = new Option<int>("--seed") { Description = "Seed of the population and the trainers.", DefaultValueFactory = _ => 0 };
var root = new RootCommand("Pluralistic synthetic users sample: per-method learning curves on a simulated population.") { preset, models, output, seed };
root.SetAction(async (parse, cancellationToken) =>
{
    var console = AnsiConsole.Console;
    var options = new ExperimentOptions
    {
        Presets = [parse.GetValue(preset)!],
        Models = parse.GetValue(models)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? RewardModelKinds.BuiltIn.Names,
        Seed = parse.GetValue(seed),
        Device = "cpu",
        FewShotContextSizes = FewShotOptions.DefaultContextSizes,
    };
    console.MarkupLine($"Population [bold]{options.Presets[0]}[/], methods: {string.Join(", ", options.Models)}");
    var rows = await PopulationExperiment.RunAsync(options, new Steps(console), cancellationToken).ConfigureAwait(false);

    var curves = rows.Select(r => (r.Model, r.FewShot!)).ToList();
    var oracle = rows[0].Unseen.OracleAccuracy;
    var path = parse.GetValue(output)!.FullName;
    FewShotPlot.SavePng(path, curves, oracle, new PlotOptions { Title = $"{options.Presets[0]}: accuracy on a new user after k of their pairs" });

    var table = new Table().AddColumn("model");
    foreach (var k in FewShotOptions.DefaultContextSizes)
    {
        table.AddColumn($"k = {k}");
    }

    foreach (var (model, curve) in curves)
    {
        table.AddRow([model, .. curve.Points.Select(p => MetricsFormat.Percent(p.Accuracy))]);
    }

    console.Write(table);
    console.MarkupLine($"Oracle (each user's hidden reward) on the same pairs: {MetricsFormat.Percent(oracle)}. Plot written to {Markup.Escape(path)}.");
    return 0;
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

internal sealed class Steps(IAnsiConsole console) : IProgress<ExperimentProgress>
{
    public void Report(ExperimentProgress value)
    {
        if (value.Training is null)
        {
            console.MarkupLine(Markup.Escape($"  {value.Model ?? value.Preset}: {value.Step}"));
        }
    }
}
