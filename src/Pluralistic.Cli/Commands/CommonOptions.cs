using System.CommandLine;

namespace Pluralistic.Cli.Commands;

/// <summary>Options several commands share, created fresh per command (System.CommandLine options belong to one parent).</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print one machine-readable JSON object instead of human-readable output." };

    public static Option<int> Seed(int defaultValue = 0) => new("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => defaultValue };

    public static Option<string> Device() => new("--device")
    {
        Description = "Device for TorchSharp work: cpu, cuda, cuda:N or auto.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Threads() => new("--threads") { Description = $"libtorch intra-op threads (0: libtorch's default; at most {Torch.OptionLimits.MaxThreads}).", DefaultValueFactory = _ => 0 };

    /// <summary>The value of <c>--threads</c>, refused when negative or above the limit (never silently replaced).</summary>
    public static int GetThreads(ParseResult parse, Option<int> option)
    {
        var value = parse.GetValue(option);
        return value is < 0 or > Torch.OptionLimits.MaxThreads
            ? throw new ArgumentException($"--threads must be between 0 (libtorch's default) and {Torch.OptionLimits.MaxThreads}, not {value}")
            : value;
    }

    /// <summary>
    /// <c>--patience</c>: epochs without a better validation loss before training stops. Shorter patience trades a
    /// little accuracy for time (docs/models/vpl.md and fspo.md give measured trades); 0 never stops early.
    /// </summary>
    public static Option<int?> Patience() => new("--patience") { Description = "Epochs without a better validation loss before training stops (0: never stop early; default: the method's)." };

    /// <summary>
    /// <c>--anchor true|false</c>: whether personalized methods are anchored to a population reward trained beside
    /// them as BT is (<c>RewardTrainerOptions.PopulationAnchor</c>, on by default; <c>--anchor false</c> trains the
    /// methods alone, see docs/architecture.md for when that pays).
    /// </summary>
    public static Option<bool> Anchor() => new("--anchor")
    {
        Description = "Anchor every personalized method to a population reward trained beside it exactly as BT is (its defaults, the same seed): a user moves from it only as far as held-out pairs show pays. Default true; --anchor false trains the methods alone.",
        DefaultValueFactory = _ => true,
    };

    /// <summary>The value of <see cref="Patience"/>, checked: <see langword="null"/> when not given.</summary>
    public static int? GetPatience(ParseResult parse, Option<int?> option) => parse.GetValue(option) switch
    {
        < 0 and var value => throw new ArgumentException($"--patience must be 0 (never stop early) or more, not {value}"),
        var value => value,
    };

    public static Option<FileInfo> Data(string description) => new("--data") { Description = description, Required = true };

    public static Option<DirectoryInfo> Run() => new("--run") { Description = "A run directory written by 'pluralistic train'.", Required = true };

    public static Option<int> ContextPairs() => new("--context-pairs")
    {
        Description = "Use the first K records of each user (file order) to adapt that user; they are not predicted. The run is not modified.",
        DefaultValueFactory = _ => 0,
    };

    public static Option<bool> ColdStart() => new("--cold-start")
    {
        Description = "Score users the run has no state for with the population-level state instead of failing.",
    };

    public static Option<bool> SkipInvalid() => new("--skip-invalid")
    {
        Description = "Skip invalid records (reporting how many) instead of failing on the first.",
    };

    public static Option<string> Embedder(string what) => new("--embedder")
    {
        Description = $"The text embedder for {what}: {string.Join(", ", Runs.TextEmbedderKinds.All.Select(k => $"{k.Name} ({k.Summary})"))}. The run remembers it.",
        DefaultValueFactory = _ => Runs.TextEmbedderKinds.DefaultName,
    };

    public static Option<string?> Store() => new("--store")
    {
        Description = $"Keep the run's user states in PostgreSQL (an Npgsql connection string, e.g. \"Host=db;Database=app;Username=svc\") instead of the run's users.db; default: ${Output.CliStore.Variable}.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Output.CliStore.Variable) is { Length: > 0 } value ? value : null,
    };

    public static Option<string?> Direction() => new("--direction")
    {
        Description = "Score every user with an explicit direction over named objectives, e.g. \"helpfulness=1,verbosity=-0.5\".",
    };
}
