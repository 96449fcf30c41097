using System.Text.Json;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// One method as the SDK sees it: its name on the command line and in manifests, its options type (and their JSON),
/// how to train it, how to load it from a run, and its command-line flags. Each method folder exposes one; a
/// <see cref="RewardModelKindRegistry"/> holds the kinds an application knows. Derive from
/// <see cref="TorchRewardModelKind{TOptions, TModel}"/> rather than from this class.
/// </summary>
public abstract class RewardModelKind
{
    private protected RewardModelKind()
    {
    }

    /// <summary>The kind's name (<c>bt</c>, <c>pal</c>, ...): lower-case, used by <c>--model</c> and in manifests.</summary>
    public abstract string Name { get; }

    /// <summary>The method's name for people.</summary>
    public abstract string DisplayName { get; }

    /// <summary>One line on what the method does.</summary>
    public abstract string Summary { get; }

    /// <summary>Whether models of this kind give users rewards of their own (false for a population baseline).</summary>
    public abstract bool IsPersonalized { get; }

    /// <summary>The kind's options type (derives from <see cref="RewardTrainerOptions"/>).</summary>
    public abstract Type OptionsType { get; }

    /// <summary>The kind's command-line flags (beyond the flags every kind shares).</summary>
    public virtual IReadOnlyList<KindFlag> Flags => [];

    /// <summary>
    /// The most epochs for a quick look (the demo), for kinds whose default schedule takes minutes (meta-trained
    /// episodic methods); <see langword="null"/> when the defaults are already quick.
    /// </summary>
    public virtual int? QuickEpochs => null;

    /// <summary>
    /// A quick look's options (the demo): at most <see cref="QuickEpochs"/> epochs by default; a kind whose default
    /// spends its time elsewhere (MaxMin's choice of K) shortens that instead. What a caller already set lower is kept.
    /// </summary>
    /// <param name="options">Options of <see cref="OptionsType"/>.</param>
    /// <returns>The shortened options, or <paramref name="options"/> itself when nothing changes.</returns>
    public virtual RewardTrainerOptions Quicken(RewardTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return QuickEpochs is { } quick && options.Epochs > quick ? options with { Epochs = quick } : options;
    }

    /// <summary>What <see cref="Quicken"/> changes, in a few words for the demo's message; <see langword="null"/> when nothing.</summary>
    public virtual string? QuickScheduleDescription => QuickEpochs is { } quick ? $"{Name} {quick} epochs (default {CreateDefaultOptions().Epochs})" : null;

    /// <summary>Creates the kind's default options.</summary>
    /// <returns>Options of <see cref="OptionsType"/>.</returns>
    public abstract RewardTrainerOptions CreateDefaultOptions();

    /// <summary>Trains a model of this kind.</summary>
    /// <param name="options">Options of <see cref="OptionsType"/>.</param>
    /// <param name="trainingData">Training pairs.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained model, holding the seen users' states in memory.</returns>
    /// <exception cref="ArgumentException">The options are of another kind's type.</exception>
    public abstract TorchUserRewardModel Train(
        RewardTrainerOptions options, PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Loads a model of this kind from a run's verified manifest and weights.</summary>
    /// <param name="manifest">The manifest (its kind is this kind).</param>
    /// <param name="weights">The verified weights.</param>
    /// <param name="store">The user state store (owned by the model).</param>
    /// <param name="device">The device.</param>
    /// <returns>The model.</returns>
    /// <exception cref="CorruptRunException">The manifest's options or the weights do not describe a model of this kind.</exception>
    public abstract TorchUserRewardModel Load(RunManifest manifest, byte[] weights, IUserStateStore store, Device device);

    /// <summary>Reads options of this kind from their manifest JSON.</summary>
    /// <param name="json">The options as written in a manifest.</param>
    /// <returns>The options.</returns>
    /// <exception cref="JsonException">The JSON does not describe options of this kind.</exception>
    public abstract RewardTrainerOptions ReadOptions(JsonElement json);

    /// <summary>Writes options of this kind as manifest JSON.</summary>
    /// <param name="options">Options of <see cref="OptionsType"/>.</param>
    /// <returns>The JSON.</returns>
    public abstract JsonElement WriteOptions(RewardTrainerOptions options);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// A method-specific command-line flag: its name (<c>--prototypes</c>), help, the values it accepts, and how a value
/// changes the kind's options. The same flag name on several kinds is one option that applies to each of them.
/// </summary>
/// <param name="Name">The flag, with its leading dashes.</param>
/// <param name="Description">Help text.</param>
/// <param name="Apply">Returns the options with the flag's value applied; throws <see cref="ArgumentException"/> naming the flag for a bad value.</param>
/// <param name="AllowedValues">The only values accepted, when the flag takes one of a fixed set.</param>
/// <param name="IsSwitch">Whether the flag takes no value (a boolean switch).</param>
public sealed record KindFlag(
    string Name,
    string Description,
    Func<RewardTrainerOptions, string, RewardTrainerOptions> Apply,
    IReadOnlyList<string>? AllowedValues = null,
    bool IsSwitch = false)
{
    /// <summary>A flag whose value is an integer.</summary>
    /// <typeparam name="TOptions">The kind's options type.</typeparam>
    /// <param name="name">The flag.</param>
    /// <param name="description">Help text.</param>
    /// <param name="apply">Applies the value.</param>
    /// <returns>The flag.</returns>
    public static KindFlag WholeNumber<TOptions>(string name, string description, Func<TOptions, int, TOptions> apply)
        where TOptions : RewardTrainerOptions =>
        new(name, description, (options, value) => apply(Cast<TOptions>(options), ParseInteger(name, value)));

    /// <summary>A flag whose value is a number.</summary>
    /// <typeparam name="TOptions">The kind's options type.</typeparam>
    /// <param name="name">The flag.</param>
    /// <param name="description">Help text.</param>
    /// <param name="apply">Applies the value.</param>
    /// <returns>The flag.</returns>
    public static KindFlag Number<TOptions>(string name, string description, Func<TOptions, double, TOptions> apply)
        where TOptions : RewardTrainerOptions =>
        new(name, description, (options, value) => apply(Cast<TOptions>(options), ParseNumber(name, value)));

    /// <summary>A flag that takes one of a fixed set of words.</summary>
    /// <typeparam name="TOptions">The kind's options type.</typeparam>
    /// <param name="name">The flag.</param>
    /// <param name="description">Help text.</param>
    /// <param name="allowed">The accepted words.</param>
    /// <param name="apply">Applies the value (one of <paramref name="allowed"/>).</param>
    /// <returns>The flag.</returns>
    public static KindFlag Choice<TOptions>(string name, string description, IReadOnlyList<string> allowed, Func<TOptions, string, TOptions> apply)
        where TOptions : RewardTrainerOptions =>
        new(name, description, (options, value) => allowed.Contains(value, StringComparer.Ordinal)
            ? apply(Cast<TOptions>(options), value)
            : throw new ArgumentException($"{name}: '{value}' is not one of {string.Join(", ", allowed)}"), allowed);

    /// <summary>A flag that takes free text (parsed by <paramref name="apply"/>, which names the flag when it refuses a value).</summary>
    /// <typeparam name="TOptions">The kind's options type.</typeparam>
    /// <param name="name">The flag.</param>
    /// <param name="description">Help text.</param>
    /// <param name="apply">Applies the value.</param>
    /// <returns>The flag.</returns>
    public static KindFlag Text<TOptions>(string name, string description, Func<TOptions, string, TOptions> apply)
        where TOptions : RewardTrainerOptions =>
        new(name, description, (options, value) => apply(Cast<TOptions>(options), value));

    /// <summary>A switch: present means on.</summary>
    /// <typeparam name="TOptions">The kind's options type.</typeparam>
    /// <param name="name">The flag.</param>
    /// <param name="description">Help text.</param>
    /// <param name="apply">Applies the switch.</param>
    /// <returns>The flag.</returns>
    public static KindFlag Switch<TOptions>(string name, string description, Func<TOptions, TOptions> apply)
        where TOptions : RewardTrainerOptions =>
        new(name, description, (options, _) => apply(Cast<TOptions>(options)), IsSwitch: true);

    internal static T Cast<T>(RewardTrainerOptions options)
        where T : RewardTrainerOptions =>
        options as T ?? throw new ArgumentException($"expected {typeof(T).Name}, got {options?.GetType().Name ?? "null"}", nameof(options));

    private static int ParseInteger(string name, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new ArgumentException($"{name}: '{value}' is not an integer");

    private static double ParseNumber(string name, string value) =>
        double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed)
            ? parsed
            : throw new ArgumentException($"{name}: '{value}' is not a finite number");
}
