using Pluralistic.Data;
using Pluralistic.Models.BradleyTerry;
using Pluralistic.Runs;
using Pluralistic.Tests.Support;
using Pluralistic.Text;

namespace Pluralistic.Tests.Hosting;

/// <summary>A Bradley-Terry run trained on the text preset, saved with its embedder; tests copy it before writing.</summary>
public sealed class TextRunFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();

    public string Root => _directory.Path;

    public SyntheticTextPopulation Population { get; } = SyntheticTextPopulation.Generate(new SyntheticPopulationOptions { Seed = 2, SeenUsers = 30, UnseenUsers = 6, TrainPairsPerUser = 30 });

    public string Run => Path.Combine(Root, "run");

    public async Task InitializeAsync()
    {
        var embedder = HashedNgramEmbeddingGenerator.Fit(Population.Train.SelectMany(r => new[] { r.Prompt!, r.Chosen!, r.Rejected! }), new HashedNgramOptions { Dimension = 128 });
        var train = await SyntheticTextPopulation.ToDatasetAsync(Population.Train, embedder);
        using var model = new BradleyTerryTrainer(new BradleyTerryOptions { Device = "cpu", Epochs = 10, Seed = 1 }).Fit(train);
        await RunDirectory.SaveAsync(model, Run, embeddingGenerator: embedder);
    }

    public string CopyRun(string name)
    {
        var target = Path.Combine(Root, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Run).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _directory.Dispose();
}
