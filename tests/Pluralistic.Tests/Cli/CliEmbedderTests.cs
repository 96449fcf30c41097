using System.Text.Json;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Cli;

/// <summary><c>train --embedder</c> on a small generated text population, then <c>predict</c> and <c>evaluate</c> with the run.</summary>
public sealed class CliEmbedderTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();

    private string Data => Path.Combine(_directory.Path, "data");

    public async Task InitializeAsync()
    {
        var generate = await CliRunner.RunAsync("generate", "--preset", "text", "--out", Data, "--seed", "5", "--seen-users", "16", "--unseen-users", "4", "--train-pairs", "12");
        Assert.True(generate.ExitCode == 0, generate.Error);
    }

    [Theory]
    [InlineData("minilm", 384)]
    [InlineData("hashed", 512)]
    public async Task Train_with_an_embedder_then_predict_and_evaluate_with_the_run(string embedder, int dimension)
    {
        var run = Path.Combine(_directory.Path, "run-" + embedder);
        var train = await CliRunner.RunAsync("train", "--model", "bt", "--embedder", embedder, "--data", Path.Combine(Data, "train.jsonl"), "--out", run, "--epochs", "2", "--device", "cpu", "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        using (var result = JsonDocument.Parse(train.Json))
        {
            Assert.Equal(embedder, result.RootElement.GetProperty("text_embedder").GetString());
        }

        using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "manifest.json"))))
        {
            var record = manifest.RootElement.GetProperty("text_embedder");
            Assert.Equal(embedder, record.GetProperty("name").GetString());
            Assert.Equal(dimension, record.GetProperty("dimension").GetInt32());
            Assert.Equal(dimension, manifest.RootElement.GetProperty("response_dimension").GetInt32());
        }

        var before = CliRunner.Snapshot(run);
        var seen = Path.Combine(Data, "test_seen.jsonl");
        var output = Path.Combine(_directory.Path, $"predictions-{embedder}.jsonl");
        var predict = await CliRunner.RunAsync("predict", "--run", run, "--data", seen, "--out", output);
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.Equal(File.ReadAllLines(seen).Length, File.ReadAllLines(output).Length);

        var evaluate = await CliRunner.RunAsync("evaluate", "--run", run, "--data", Path.Combine(Data, "test_unseen.jsonl"), "--context-pairs", "5", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        using var metrics = JsonDocument.Parse(evaluate.Json);
        Assert.InRange(metrics.RootElement.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(before, CliRunner.Snapshot(run));
    }

    [Fact]
    public async Task The_sentence_encoder_is_the_default_and_the_human_output_names_it()
    {
        var run = Path.Combine(_directory.Path, "run-default");
        var train = await CliRunner.RunAsync("train", "--model", "bt", "--data", Path.Combine(Data, "train.jsonl"), "--out", run, "--epochs", "1", "--device", "cpu");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("minilm", train.Output, StringComparison.Ordinal);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "manifest.json")));
        Assert.Equal("minilm", manifest.RootElement.GetProperty("text_embedder").GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_unknown_embedder_is_a_one_line_error_before_any_work()
    {
        var run = Path.Combine(_directory.Path, "run-unknown");
        var train = await CliRunner.RunAsync("train", "--model", "bt", "--embedder", "word2vec", "--data", Path.Combine(Data, "train.jsonl"), "--out", run);
        Assert.NotEqual(0, train.ExitCode);
        var line = Assert.Single(train.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("unknown text embedder 'word2vec'; available: minilm, hashed", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _directory.Dispose();
}
