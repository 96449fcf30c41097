using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Cli;

/// <summary>A generated population and a trained baseline run, made once for all CLI tests.</summary>
public sealed class CliWorkspace : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();

    public string Root => _directory.Path;

    public string Data => Path.Combine(Root, "data");

    public string Train => Path.Combine(Data, "train.jsonl");

    public string TestSeen => Path.Combine(Data, "test_seen.jsonl");

    public string TestUnseen => Path.Combine(Data, "test_unseen.jsonl");

    public string Run => Path.Combine(Root, "run-bt");

    public async Task InitializeAsync()
    {
        var generate = await CliRunner.RunAsync("generate", "--out", Data, "--seed", "3", "--seen-users", "40", "--unseen-users", "8", "--dimension", "12");
        Assert.True(generate.ExitCode == 0, generate.Error);
        var train = await CliRunner.RunAsync("train", "--model", "bt", "--data", Train, "--out", Run, "--seed", "1", "--epochs", "5", "--device", "cpu");
        Assert.True(train.ExitCode == 0, train.Error);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>A copy of the trained run that a test may damage.</summary>
    public string CopyRun(string name)
    {
        var target = Path.Combine(Root, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Run))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        return target;
    }

    /// <summary>Writes a JSONL file from lines.</summary>
    public string WriteFile(string name, params string[] lines)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>The first lines of the generated training file.</summary>
    public string[] TrainLines(int count) => File.ReadLines(Train).Take(count).ToArray();
}
