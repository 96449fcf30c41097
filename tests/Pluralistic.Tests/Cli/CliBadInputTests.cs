namespace Pluralistic.Tests.Cli;

/// <summary>
/// Every bad input gives a non-zero exit code and one line on stderr naming the problem, and leaves every file of
/// the run it touched byte-for-byte unchanged.
/// </summary>
public class CliBadInputTests(CliWorkspace workspace) : IClassFixture<CliWorkspace>
{
    public static TheoryData<string> Cases => new()
    {
        "invalid JSON",
        "missing pair",
        "NaN",
        "Infinity",
        "mixed dimensions",
        "empty file",
        "empty user id",
        "unknown model kind",
        "truncated weights",
        "corrupt weights",
        "foreign manifest",
        "missing manifest",
        "newer format version",
        "corrupt user store",
        "foreign user store",
        "unknown user without context",
        "dimension mismatch at scoring",
        "direction on a model without objectives",
        "bad data for adapt",
        "train over an existing run",
        "text without embeddings",
        "negative context pairs",
        "negative held-out users",
        "negative held-out pairs",
        "ablate with an unknown reference",
        "absurd prototypes",
        "absurd latent size",
        "latent size beyond the parameter memory limit",
        "prototypes zero",
        "negative threads",
        "absurd epochs",
        "manifest epochs edited to 1e8",
        "manifest evidence capacity edited to 1e8",
        "vector of absurd dimension",
        "zero-byte user store",
        "random bytes as the store's log",
        "torn store log",
        "predict out is its input",
        "predict out is the run's manifest",
        "predict out is the run's store",
        "train force over a directory with other files",
        "import out is its input",
        "run directory does not exist",
        "threads above the limit",
        "negative latent size",
        "store log naming a page beyond the files",
        "store log of another database",
        "predict out is the run directory",
        "predict out is the run's weights",
        "import out is its items file",
        "forget an unknown user",
        "forget an empty user id",
        "missing user store",
        "store log beside a zero-byte store",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_fails_clearly_and_changes_nothing(string scenario)
    {
        var run = workspace.CopyRun("run-" + scenario.Replace(' ', '-'));
        var good = workspace.TrainLines(4);
        string[] args;
        string expected;
        string? data;
        switch (scenario)
        {
            case "invalid JSON":
                data = workspace.WriteFile("bad-json.jsonl", good[0], good[1], good[2][..(good[2].Length / 2)], good[3]);
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 3");
                break;
            case "missing pair":
                data = workspace.WriteFile("missing-pair.jsonl", good[0], """{"user_id":"x","chosen_embedding":[1,2]}""");
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 2: chosen_embedding is present but rejected_embedding is missing");
                break;
            case "NaN":
                data = workspace.WriteFile("nan.jsonl", good[0], good[1].Replace("\"chosen_embedding\":[", "\"chosen_embedding\":[NaN,", StringComparison.Ordinal));
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 2: NaN and Infinity are not allowed");
                break;
            case "Infinity":
                data = workspace.WriteFile("inf.jsonl", good[0], good[1], good[2].Replace("\"rejected_embedding\":[", "\"rejected_embedding\":[-Infinity,", StringComparison.Ordinal));
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 3: NaN and Infinity are not allowed");
                break;
            case "mixed dimensions":
                data = workspace.WriteFile("mixed.jsonl", good[0], """{"user_id":"x","chosen_embedding":[1,2],"rejected_embedding":[3,4]}""");
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 2: chosen_embedding has dimension 2, expected 12");
                break;
            case "empty file":
                data = workspace.WriteFile("empty.jsonl");
                (args, expected) = (["adapt", "--run", run, "--data", data], "holds no records");
                break;
            case "empty user id":
                data = workspace.WriteFile("empty-user.jsonl", good[0], good[1].Replace("\"user_id\":\"", "\"user_id\":\"\",\"x\":\"", StringComparison.Ordinal));
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 2: user_id is empty");
                break;
            case "unknown model kind":
                (args, expected) = (["train", "--model", "gpt", "--data", workspace.Train, "--out", run, "--force"], "unknown model kind 'gpt'");
                break;
            case "truncated weights":
                File.WriteAllBytes(Path.Combine(run, "weights.bin"), File.ReadAllBytes(Path.Combine(run, "weights.bin"))[..100]);
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(workspace.Root, "never.jsonl")], "truncated");
                break;
            case "corrupt weights":
                var weights = File.ReadAllBytes(Path.Combine(run, "weights.bin"));
                weights[^5] ^= 0x40;
                File.WriteAllBytes(Path.Combine(run, "weights.bin"), weights);
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "does not match the SHA-256");
                break;
            case "foreign manifest":
                File.WriteAllText(Path.Combine(run, "manifest.json"), """{"name":"another-tool","layers":3}""");
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "not a Pluralistic run manifest");
                break;
            case "missing manifest":
                File.Delete(Path.Combine(run, "manifest.json"));
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "manifest.json is missing");
                break;
            case "newer format version":
                File.WriteAllText(Path.Combine(run, "manifest.json"), File.ReadAllText(Path.Combine(run, "manifest.json")).Replace("\"format_version\": 1", "\"format_version\": 7", StringComparison.Ordinal));
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "format version 7");
                break;
            case "corrupt user store":
                var store = File.ReadAllBytes(Path.Combine(run, "users.db"));
                Array.Fill<byte>(store, 0x5A, 0, Math.Min(store.Length, 8192));
                File.WriteAllBytes(Path.Combine(run, "users.db"), store);
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "users.db");
                break;
            case "foreign user store":
                File.Copy(ForeignLiteDb(), Path.Combine(run, "users.db"), overwrite: true);
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "not a Pluralistic user state store");
                break;
            case "unknown user without context":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestUnseen, "--out", Path.Combine(workspace.Root, "never.jsonl")], "unknown user 'new-user-0001'");
                break;
            case "dimension mismatch at scoring":
                data = workspace.WriteFile("dims.jsonl", """{"user_id":"user-0001","chosen_embedding":[1,2,3],"rejected_embedding":[3,2,1]}""");
                (args, expected) = (["predict", "--run", run, "--data", data, "--out", Path.Combine(workspace.Root, "never.jsonl")], "has dimension 3, but the model expects 12");
                break;
            case "direction on a model without objectives":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(workspace.Root, "never.jsonl"), "--direction", "helpfulness=1"], "does not support scoring with an explicit direction");
                break;
            case "bad data for adapt":
                data = workspace.WriteFile("adapt-bad.jsonl", good[0], good[1], "{\"user_id\":\"u\",\"chosen_embedding\":[1e999],\"rejected_embedding\":[1]}");
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 3");
                break;
            case "train over an existing run":
                (args, expected) = (["train", "--model", "bt", "--data", workspace.Train, "--out", run], "already holds a run");
                break;
            case "text without embeddings":
                data = workspace.WriteFile("text.jsonl", """{"user_id":"u","prompt":"hi","chosen":"hello there","rejected":"go away"}""");
                (args, expected) = (["adapt", "--run", run, "--data", data], "no embedding generator");
                break;
            case "negative context pairs":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(workspace.Root, "never.jsonl"), "--context-pairs", "-2"], "--context-pairs");
                break;
            case "negative held-out users":
                (args, expected) = (["ablate", "--models", "bt", "--presets", "groups", "--out", Path.Combine(workspace.Root, "never"), "--held-out-users", "-1"], "--held-out-users");
                break;
            case "negative held-out pairs":
                (args, expected) = (["ablate", "--models", "bt", "--presets", "groups", "--out", Path.Combine(workspace.Root, "never"), "--held-out-pairs", "-3"], "--held-out-pairs");
                break;
            case "ablate with an unknown reference":
                (args, expected) = (["ablate", "--models", "bt", "--presets", "groups", "--out", Path.Combine(workspace.Root, "never"), "--references", "user-linear,svd"], "unknown reference 'svd' in --references; available: item-mean, user-knn, user-linear, or none");
                break;
            case "absurd prototypes":
                (args, expected) = (["train", "--model", "pal", "--data", workspace.Train, "--out", run, "--force", "--prototypes", "100000000"], "--prototypes = 100000000 is above the limit of 4,096");
                break;
            case "absurd latent size":
                (args, expected) = (["train", "--model", "vpl", "--data", workspace.Train, "--out", run, "--force", "--latent", "1000000000"], "--latent = 1000000000 is above the limit of 65,536");
                break;
            case "latent size beyond the parameter memory limit":
                (args, expected) = (["train", "--model", "vpl", "--data", workspace.Train, "--out", run, "--force", "--latent", "65536"], "--latent makes a model of about");
                break;
            case "prototypes zero":
                (args, expected) = (["train", "--model", "pal", "--data", workspace.Train, "--out", run, "--force", "--prototypes", "0"], "--prototypes 0 means the method's default");
                break;
            case "negative threads":
                (args, expected) = (["train", "--model", "bt", "--data", workspace.Train, "--out", run, "--force", "--threads", "-5"], "--threads must be between 0");
                break;
            case "absurd epochs":
                (args, expected) = (["train", "--model", "bt", "--data", workspace.Train, "--out", run, "--force", "--epochs", "100000000"], "--epochs = 100000000 is above the limit");
                break;
            case "manifest epochs edited to 1e8":
                EditManifest(run, "\"epochs\": ", "100000000");
                (args, expected) = (["evaluate", "--run", run, "--data", workspace.TestSeen], "options.epochs = 100000000 is above the limit");
                break;
            case "manifest evidence capacity edited to 1e8":
                EditManifest(run, "\"evidence_capacity\": ", "100000000");
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("evidence.jsonl", good)], "options.evidence_capacity = 100000000 is above the limit");
                break;
            case "vector of absurd dimension":
                data = workspace.WriteFile("huge-vector.jsonl", good[0], $$"""{"user_id":"x","chosen_embedding":[{{string.Join(',', Enumerable.Repeat("0.5", 70_000))}}],"rejected_embedding":[1]}""");
                (args, expected) = (["adapt", "--run", run, "--data", data], "line 2: chosen_embedding has 70,000 values");
                break;
            case "zero-byte user store":
                File.WriteAllBytes(Path.Combine(run, "users.db"), []);
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("zero.jsonl", good)], "is empty");
                break;
            case "random bytes as the store's log":
                var noise = new byte[8192 * 3];
                new Random(5).NextBytes(noise);
                File.WriteAllBytes(Path.Combine(run, "users-log.db"), noise);
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("noise.jsonl", good)], "cannot be replayed safely");
                break;
            case "torn store log":
                File.WriteAllBytes(Path.Combine(run, "users-log.db"), new byte[8192 + 100]);
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("torn.jsonl", good)], "is not a whole number of 8192-byte pages");
                break;
            case "predict out is its input":
                data = workspace.WriteFile("predict-in.jsonl", good);
                (args, expected) = (["predict", "--run", run, "--data", data, "--out", data], "would overwrite the input file of --data");
                break;
            case "predict out is the run's manifest":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(run, "manifest.json")], "names the run's own file 'manifest.json'");
                break;
            case "predict out is the run's store":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(run, "users.db")], "names the run's own file 'users.db'");
                break;
            case "train force over a directory with other files":
                File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
                (args, expected) = (["train", "--model", "bt", "--data", workspace.Train, "--out", run, "--force"], "not part of a run (notes.txt)");
                break;
            case "import out is its input":
                data = Path.Combine(run, "..", $"ratings-{Guid.NewGuid():N}.csv");
                File.WriteAllLines(data, ["user_id,item_id,rating", "u1,a,5", "u1,b,1"]);
                File.Copy(data, Path.Combine(run, "ratings-copy.csv"));
                (args, expected) = (["import", "ratings", "--data", Path.Combine(run, "ratings-copy.csv"), "--out", Path.Combine(run, "ratings-copy.csv")], "would overwrite the input file of --data");
                break;
            case "run directory does not exist":
                (args, expected) = (["predict", "--run", Path.Combine(run, "nowhere"), "--data", workspace.TestSeen, "--out", Path.Combine(workspace.Root, "never.jsonl")], "nowhere");
                break;
            case "threads above the limit":
                (args, expected) = (["train", "--model", "bt", "--data", workspace.Train, "--out", run, "--force", "--threads", "5000"], "--threads must be between 0");
                break;
            case "negative latent size":
                (args, expected) = (["train", "--model", "vpl", "--data", workspace.Train, "--out", run, "--force", "--latent", "-3"], "LatentSize");
                break;
            case "store log naming a page beyond the files":
                File.WriteAllBytes(Path.Combine(run, "users-log.db"), LogPage(pageId: 50_000_000, type: 4));
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("far.jsonl", good)], "names page id 50000000");
                break;
            case "store log of another database":
                var header = File.ReadAllBytes(Path.Combine(run, "users.db"))[..8192];
                header[70] ^= 0xFF;
                header[14] = 1;
                header[18] = 1;
                File.WriteAllBytes(Path.Combine(run, "users-log.db"), header);
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("another.jsonl", good)], "the log of another database");
                break;
            case "predict out is the run directory":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", run], "is the run directory");
                break;
            case "predict out is the run's weights":
                (args, expected) = (["predict", "--run", run, "--data", workspace.TestSeen, "--out", Path.Combine(run, "weights.bin")], "names the run's own file 'weights.bin'");
                break;
            case "import out is its items file":
                File.WriteAllLines(Path.Combine(run, "ratings.csv"), ["user_id,item_id,rating", "u1,a,5", "u1,b,1"]);
                File.WriteAllLines(Path.Combine(run, "items.csv"), ["item_id,text", "a,apple", "b,banana"]);
                (args, expected) = (["import", "ratings", "--data", Path.Combine(run, "ratings.csv"), "--items", Path.Combine(run, "items.csv"), "--out", Path.Combine(run, "items.csv")], "would overwrite the input file of --items");
                break;
            case "forget an unknown user":
                (args, expected) = (["forget", "--run", run, "--user", "nobody-at-all"], "unknown user 'nobody-at-all'");
                break;
            case "forget an empty user id":
                (args, expected) = (["forget", "--run", run, "--user", " "], "--user");
                break;
            case "missing user store":
                File.Delete(Path.Combine(run, "users.db"));
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("missing-store.jsonl", good)], "users.db is missing");
                break;
            case "store log beside a zero-byte store":
                File.WriteAllBytes(Path.Combine(run, "users.db"), []);
                File.WriteAllBytes(Path.Combine(run, "users-log.db"), LogPage(pageId: 1, type: 4));
                (args, expected) = (["adapt", "--run", run, "--data", workspace.WriteFile("zero-log.jsonl", good)], "less than one page");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario));
        }

        var before = CliRunner.Snapshot(run);
        var result = await CliRunner.RunAsync(args);

        Assert.NotEqual(0, result.ExitCode);
        var error = result.Error.TrimEnd('\n');
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.True(error.Contains(expected, StringComparison.Ordinal), error);
        Assert.Equal(before, CliRunner.Snapshot(run));
        Assert.False(File.Exists(Path.Combine(workspace.Root, "never.jsonl")), "no partial predictions file");

        // PLURALISTIC_BAD_INPUT_TABLE=DIR writes one row per case for docs/bad-input.md (tests/make-bad-input-table).
        if (Environment.GetEnvironmentVariable("PLURALISTIC_BAD_INPUT_TABLE") is { Length: > 0 } table)
        {
            string Short(string text) => text.Replace(run, "RUN", StringComparison.Ordinal).Replace(workspace.Root, "DIR", StringComparison.Ordinal);
            var command = string.Join(' ', args.Select(a => Short(a) is var shortened && shortened.Length > 60 ? shortened[..40] + "..." : shortened));
            File.WriteAllText(
                Path.Combine(table, scenario.Replace(' ', '-').Replace('\'', '_') + ".tsv"),
                string.Join('\t', "cli", scenario, command, Short(error), result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture), "unchanged (SHA-256 of every file)") + "\n");
        }
    }

    /// <summary>One LiteDB log page with the given id and type, confirmed (transaction 1).</summary>
    private static byte[] LogPage(uint pageId, byte type)
    {
        var page = new byte[8192];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(page, pageId);
        page[4] = type;
        page[14] = 1;
        page[18] = 1;
        return page;
    }

    /// <summary>Replaces the value of the first manifest key that starts with <paramref name="key"/> (e.g. <c>"epochs": </c>).</summary>
    private static void EditManifest(string run, string key, string value)
    {
        var path = Path.Combine(run, "manifest.json");
        var text = File.ReadAllText(path);
        var start = text.IndexOf(key, StringComparison.Ordinal) + key.Length;
        var end = text.IndexOfAny([',', '\n', '}'], start);
        File.WriteAllText(path, text[..start] + value + text[end..]);
    }

    /// <summary>A LiteDB database written by some other application.</summary>
    private string ForeignLiteDb()
    {
        var path = Path.Combine(workspace.Root, "foreign.db");
        if (!File.Exists(path))
        {
            using var db = new LiteDB.LiteDatabase(path);
            db.GetCollection("orders").Insert(new LiteDB.BsonDocument { ["item"] = "tea", ["count"] = 3 });
        }

        return path;
    }
}
