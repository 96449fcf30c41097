using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Pluralistic.Models;
using Pluralistic.Storage.LiteDb;
using Pluralistic.Tests.Storage;
using Pluralistic.Tests.Torch;
using Pluralistic.Torch;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pluralistic.Tests.Cli;

/// <summary>
/// The run directory survives the SDK's own commands: a killed <c>adapt</c> loses no acknowledged state and blocks
/// no later command, <c>train --force</c> never replaces a run another process holds and a failed one leaves the old
/// run as it was, and output options cannot name the files a command reads.
/// </summary>
public class CliCrashSafetyTests(CliWorkspace workspace, ITestOutputHelper output) : IClassFixture<CliWorkspace>
{
    private static readonly RewardModelKindRegistry WithFailingKind = RewardModelKinds.BuiltIn.With(FailingKind.Instance);

    private static Dictionary<string, string> SnapshotWithoutLock(string run)
    {
        var snapshot = CliRunner.Snapshot(run).ToDictionary();
        snapshot.Remove("users.db.lock");
        return snapshot;
    }

    private static string[] Leftovers(string run) =>
        Directory.GetDirectories(Path.GetDirectoryName(run)!, $".{Path.GetFileName(run)}.*");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Train_force_refuses_a_run_another_process_holds_and_changes_nothing(bool sharedHolder)
    {
        var run = workspace.CopyRun($"held-{sharedHolder}");
        var before = SnapshotWithoutLock(run);

        // flock(1) in another process holds the store's lock as a writer (adapt, a reward server) or a reader does.
        var holder = StoreFiles.HoldLockInAnotherProcess(Path.Combine(run, "users.db.lock"), sharedHolder);
        CliRun train;
        try
        {
            train = await CliRunner.RunAsync("train", "--model", "bt", "--data", workspace.Train, "--out", run, "--epochs", "1", "--device", "cpu", "--force");
        }
        finally
        {
            StoreFiles.Stop(holder);
        }

        Assert.Equal(1, train.ExitCode);
        Assert.Contains("open in another process", train.Error, StringComparison.Ordinal);
        Assert.Equal(before, SnapshotWithoutLock(run));
        Assert.Empty(Leftovers(run));
    }

    [Fact]
    public async Task A_train_force_that_fails_mid_training_leaves_the_old_run_intact()
    {
        var run = workspace.CopyRun("failed-force");
        var before = SnapshotWithoutLock(run);

        var train = await CliRunner.RunAsync(WithFailingKind, "train", "--model", "failing", "--data", workspace.Train, "--out", run, "--device", "cpu", "--force");

        Assert.Equal(1, train.ExitCode);
        Assert.Contains("failed on purpose", train.Error, StringComparison.Ordinal);
        Assert.Equal(before, SnapshotWithoutLock(run));
        Assert.Empty(Leftovers(run));
        var predict = await CliRunner.RunAsync("predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(workspace.Root, "failed-force.jsonl"), "--device", "cpu");
        Assert.True(predict.ExitCode == 0, predict.Error);
    }

    [Fact]
    public async Task Train_force_refuses_a_directory_holding_files_that_are_not_part_of_a_run()
    {
        var run = workspace.CopyRun("with-notes");
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        var before = SnapshotWithoutLock(run);

        var train = await CliRunner.RunAsync("train", "--model", "bt", "--data", workspace.Train, "--out", run, "--epochs", "1", "--device", "cpu", "--force");

        Assert.Equal(1, train.ExitCode);
        Assert.Contains("not part of a run (notes.txt)", train.Error, StringComparison.Ordinal);
        Assert.Equal(before, SnapshotWithoutLock(run));
    }

    public static TheoryData<string> ClobberingOutputs => new() { "data", "data.tmp", "manifest", "users.db", "weights", "log", "run directory" };

    [Theory]
    [MemberData(nameof(ClobberingOutputs))]
    public async Task Predict_out_may_not_name_its_input_or_the_runs_files(string target)
    {
        var run = workspace.CopyRun($"clobber-{target.Replace(' ', '-')}");
        var data = workspace.WriteFile($"clobber-{target.Replace(' ', '-')}.jsonl", workspace.TrainLines(20));
        var outPath = target switch
        {
            "data" => data,
            "data.tmp" => Path.Combine(workspace.Root, "clobber-predictions.jsonl"),
            "manifest" => Path.Combine(run, "manifest.json"),
            "users.db" => Path.Combine(run, "users.db"),
            "weights" => Path.Combine(run, "weights.bin"),
            "log" => Path.Combine(run, "users-log.db"),
            _ => run,
        };
        if (target == "data.tmp")
        {
            // The predictions are written to OUT.tmp first: an input named OUT.tmp would be overwritten.
            File.Move(data, outPath + ".tmp");
            data = outPath + ".tmp";
        }

        var runBefore = SnapshotWithoutLock(run);
        var dataBefore = File.ReadAllBytes(data);

        var predict = await CliRunner.RunAsync("predict", "--run", run, "--data", data, "--out", outPath, "--device", "cpu");

        Assert.Equal(1, predict.ExitCode);
        Assert.Contains("--out", predict.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was written", predict.Error, StringComparison.Ordinal);
        Assert.Equal(runBefore, SnapshotWithoutLock(run));
        Assert.Equal(dataBefore, File.ReadAllBytes(data));
    }

    [Fact]
    public async Task Forget_removes_a_users_state_from_every_file_of_the_run_and_refuses_an_unknown_user()
    {
        var run = workspace.CopyRun("forget");
        const string User = "user-0003";
        Assert.NotEmpty(StoreFiles.FilesContaining(run, System.Text.Encoding.UTF8.GetBytes(User)));

        var forget = await CliRunner.RunAsync("forget", "--run", run, "--user", User, "--json");

        Assert.True(forget.ExitCode == 0, forget.Error);
        using (var json = JsonDocument.Parse(forget.Json))
        {
            Assert.Equal(User, json.RootElement.GetProperty("user").GetString());
        }

        Assert.Empty(StoreFiles.FilesContaining(run, System.Text.Encoding.UTF8.GetBytes(User)));
        using (var store = new LiteDbUserStateStore(Path.Combine(run, "users.db"), new LiteDbUserStateStoreOptions { ReadOnly = true }))
        {
            Assert.Null(await store.GetAsync(new UserId(User)));
            Assert.NotNull(await store.GetAsync(new UserId("user-0004")));
        }

        var again = await CliRunner.RunAsync("forget", "--run", run, "--user", User);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("unknown user 'user-0003'", again.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>adapt</c> runs as a real child process and is killed with SIGKILL while it writes states; between kills,
    /// completed runs of <c>adapt</c> acknowledge their users (<c>saved_states</c>). Every next command must reopen the
    /// run (replaying the crash log) with every acknowledged state, and a final <c>train --force</c> must replace the
    /// run. PLURALISTIC_KILL_ROUNDS sets the number of kills (default 3; the measurement used 20).
    /// </summary>
    [Fact]
    public async Task Adapt_killed_mid_write_loses_no_acknowledged_state_and_blocks_no_later_command()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("PLURALISTIC_KILL_ROUNDS"), out var asked) && asked > 0 ? asked : 3;
        var run = Path.Combine(workspace.Root, "killed-pal");
        var train = await CliRunner.RunAsync("train", "--model", "pal", "--data", workspace.Train, "--out", run, "--seed", "1", "--epochs", "2", "--device", "cpu");
        Assert.True(train.ExitCode == 0, train.Error);
        var population = Path.Combine(workspace.Root, "kill-population");
        var generate = await CliRunner.RunAsync("generate", "--out", population, "--seed", "5", "--seen-users", "4", "--unseen-users", "150", "--dimension", "12");
        Assert.True(generate.ExitCode == 0, generate.Error);
        var unseen = File.ReadAllLines(Path.Combine(population, "test_unseen.jsonl"));

        var random = new Random(21);
        var acknowledged = new List<UserId>();
        var killsWithLog = 0;
        for (var round = 0; round < 2 * rounds; round++)
        {
            // Every round adapts 150 users of its own.
            var chunk = workspace.WriteFile($"kill-round-{round}.jsonl", unseen.Select(l => l.Replace("\"new-user-", $"\"r{round}-", StringComparison.Ordinal)).ToArray());
            var killed = round % 2 == 0;
            using var child = StartAdapt(run, chunk);
            if (killed)
            {
                var log = Path.Combine(run, "users-log.db");
                while (!child.HasExited && !(File.Exists(log) && new FileInfo(log).Length > 0))
                {
                    await Task.Delay(5);
                }

                // LiteDB now writes its log in the background (many pages per fsync), so the window is short: kill soon.
                await Task.Delay(random.Next(0, 10));
                var hadLog = File.Exists(log) && new FileInfo(log).Length > 0;
                var exitedFirst = child.HasExited;
                if (!exitedFirst)
                {
                    child.Kill(entireProcessTree: true);
                }

                await child.WaitForExitAsync();
                killsWithLog += hadLog && !exitedFirst ? 1 : 0;
                output.WriteLine($"round {round}: killed={!exitedFirst}, log at kill={hadLog}, log after={(File.Exists(log) ? new FileInfo(log).Length : 0)} bytes");
                if (exitedFirst)
                {
                    Assert.Equal(0, child.ExitCode);
                    acknowledged.AddRange(Saved(child, round));
                }

                continue;
            }

            // The next command after a kill: it replays the crash log (or refuses with the typed error, which would fail here).
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, $"round {round}: {await stderr}");
            acknowledged.AddRange(Saved(await stdout, round));

            using var store = new LiteDbUserStateStore(Path.Combine(run, "users.db"), new LiteDbUserStateStoreOptions { ReadOnly = true });
            var found = await store.GetManyAsync(acknowledged);
            Assert.Equal(acknowledged.Count, found.Count);
        }

        output.WriteLine($"{rounds} kills, {killsWithLog} with LiteDB's log on disk; {acknowledged.Count} acknowledged states, all present");
        Assert.True(killsWithLog >= 1, "no kill happened while adapt was writing");

        // A last kill leaves its log behind: train --force still replaces the run (it used to delete manifest and
        // users.db, then fail on the stale log at every retry).
        var last = workspace.WriteFile("kill-last.jsonl", unseen.Select(l => l.Replace("\"new-user-", "\"last-", StringComparison.Ordinal)).ToArray());
        using (var child = StartAdapt(run, last))
        {
            var log = Path.Combine(run, "users-log.db");
            while (!child.HasExited && !(File.Exists(log) && new FileInfo(log).Length > 0))
            {
                await Task.Delay(5);
            }

            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            await child.WaitForExitAsync();
        }

        var retrain = await CliRunner.RunAsync("train", "--model", "pal", "--data", workspace.Train, "--out", run, "--seed", "2", "--epochs", "1", "--device", "cpu", "--force");
        Assert.True(retrain.ExitCode == 0, retrain.Error);
        Assert.Empty(Leftovers(run));
        using var replaced = new LiteDbUserStateStore(Path.Combine(run, "users.db"), new LiteDbUserStateStoreOptions { ReadOnly = true });
        Assert.Equal(40, await replaced.CountAsync());
    }

    private static Process StartAdapt(string run, string data)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Pluralistic.Cli.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { cli, "adapt", "--run", run, "--data", data, "--device", "cpu", "--json" })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static IEnumerable<UserId> Saved(Process child, int round) => Saved(child.StandardOutput.ReadToEnd(), round);

    private static IEnumerable<UserId> Saved(string json, int round)
    {
        using var document = JsonDocument.Parse(json);
        var saved = document.RootElement.GetProperty("saved_states").GetInt32();
        Assert.Equal(150, saved);
        return Enumerable.Range(1, saved).Select(i => new UserId($"r{round}-{i:D4}"));
    }
}

/// <summary>A kind whose training fails after it has started: a failed <c>train --force</c>.</summary>
public sealed class FailingKind : TorchRewardModelKind<ToyOptions, ToyRewardModel>
{
    public static FailingKind Instance { get; } = new();

    public override string Name => "failing";

    public override string DisplayName => "Failing";

    public override string Summary => "fails mid-training";

    public override bool IsPersonalized => false;

    public override IReadOnlyList<KindFlag> Flags { get; } = [];

    protected override JsonTypeInfo<ToyOptions> OptionsJson => ToyOptionsJson.Default.ToyOptions;

    public override ToyOptions DefaultOptions() => new();

    public override TorchRewardTrainer<ToyOptions, ToyRewardModel> CreateTrainer(ToyOptions? options = null) => new Trainer(options);

    public override nn.Module CreateNetwork(ModelShape shape, ToyOptions options) => ToyKind.Instance.CreateNetwork(shape, options);

    public override ToyRewardModel CreateModel(nn.Module network, ToyOptions options, TorchModelInfo info, IUserStateStore store, Device device) =>
        ToyKind.Instance.CreateModel(network, options, info, store, device);

    protected override string Describe(ModelShape shape, ToyOptions options) => "fails";

    private sealed class Trainer(ToyOptions? options) : TorchRewardTrainer<ToyOptions, ToyRewardModel>(Instance, options)
    {
        protected override TrainedPopulation<ToyOptions> TrainPopulation(TrainingSession session, ToyOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("training failed on purpose");
    }
}
