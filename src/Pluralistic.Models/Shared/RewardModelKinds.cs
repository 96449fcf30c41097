using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.MaxMin;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;
using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models;

/// <summary>A model kind: its name on the command line and in manifests, what it is, and how to load it.</summary>
/// <param name="Name">The kind's name (<c>bt</c>, <c>pal</c>, ...).</param>
/// <param name="DisplayName">The method's name.</param>
/// <param name="Summary">One line on what it does.</param>
/// <param name="Loader">Loads a model from verified run contents; <see langword="null"/> while the kind is not implemented.</param>
/// <param name="DefaultOptions">Creates the kind's default options.</param>
/// <param name="Trainer">Trains a model of the kind with options of the kind's type.</param>
public sealed record RewardModelKind(
    string Name,
    string DisplayName,
    string Summary,
    Func<RunManifest, byte[], IUserStateStore, Device, TorchUserRewardModel>? Loader = null,
    Func<RewardTrainerOptions>? DefaultOptions = null,
    Func<RewardTrainerOptions, PreferenceDataset, IProgress<TrainingProgress>?, CancellationToken, TorchUserRewardModel>? Trainer = null)
{
    /// <summary>Whether the kind can be trained and loaded in this version.</summary>
    public bool IsAvailable => Loader is not null && Trainer is not null && DefaultOptions is not null;

    /// <summary>Trains a model of this kind.</summary>
    /// <param name="options">Options of the kind's options type (see <see cref="DefaultOptions"/>).</param>
    /// <param name="data">Training pairs.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained model.</returns>
    public TorchUserRewardModel Train(RewardTrainerOptions options, PreferenceDataset data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Trainer is null)
        {
            throw new UnknownModelKindException(Name, RewardModelKinds.AvailableNames, $"model kind '{Name}' cannot be trained in this version");
        }

        return Trainer(options, data, progress, cancellationToken);
    }
}

/// <summary>Every model kind the SDK knows, available or planned, and loading by kind.</summary>
public static class RewardModelKinds
{
    /// <summary>All kinds, in the order the product lists them.</summary>
    public static IReadOnlyList<RewardModelKind> All { get; } =
    [
        new(
            BradleyTerryRewardModel.KindName,
            "Bradley-Terry baseline",
            "one reward for everyone; the bar every personalised method must clear",
            BradleyTerryRewardModel.Load,
            () => new BradleyTerryOptions(),
            (options, data, progress, token) => new BradleyTerryTrainer(Cast<BradleyTerryOptions>(options)).Fit(data, progress, token)),
        new(
            PalRewardModel.KindName,
            "PAL",
            "ideal points over K shared prototypes; few-shot new users",
            PalRewardModel.Load,
            () => new PalOptions(),
            (options, data, progress, token) => new PalTrainer(Cast<PalOptions>(options)).Fit(data, progress, token)),
        new(
            VplRewardModel.KindName,
            "VPL",
            "variational user latent inferred from a few labelled pairs",
            VplRewardModel.Load,
            () => new VplOptions(),
            (options, data, progress, token) => new VplTrainer(Cast<VplOptions>(options)).Fit(data, progress, token)),
        new(
            MaxMinRewardModel.KindName,
            "MaxMin",
            "EM mixture of Bradley-Terry heads with egalitarian aggregation",
            MaxMinRewardModel.Load,
            () => new MaxMinOptions(),
            (options, data, progress, token) => new MaxMinTrainer(Cast<MaxMinOptions>(options)).Fit(data, progress, token)),
        new(
            DpaRewardModel.KindName,
            "DPA",
            "multi-objective reward vector and a per-user unit direction",
            DpaRewardModel.Load,
            () => new DpaOptions(),
            (options, data, progress, token) => new DpaTrainer(Cast<DpaOptions>(options)).Fit(data, progress, token)),
        new(
            FspoRewardModel.KindName,
            "FSPO",
            "meta-learned few-shot reward read from a user's context pairs",
            FspoRewardModel.Load,
            () => new FspoOptions(),
            (options, data, progress, token) => new FspoTrainer(Cast<FspoOptions>(options)).Fit(data, progress, token)),
    ];

    /// <summary>The names of the kinds that can be trained now.</summary>
    public static IReadOnlyList<string> AvailableNames => All.Where(k => k.IsAvailable).Select(k => k.Name).ToList();

    /// <summary>Finds an available kind by name.</summary>
    /// <param name="name">The kind's name (case-insensitive).</param>
    /// <returns>The kind.</returns>
    /// <exception cref="UnknownModelKindException">The name is unknown, or the kind is not available in this version.</exception>
    public static RewardModelKind Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var kind = All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new UnknownModelKindException(name, All.Select(k => k.Name).ToList());
        if (!kind.IsAvailable)
        {
            throw new UnknownModelKindException(
                name,
                AvailableNames,
                $"model kind '{kind.Name}' ({kind.DisplayName}) is not available in this version yet; available: {string.Join(", ", AvailableNames)}");
        }

        return kind;
    }

    private static T Cast<T>(RewardTrainerOptions options)
        where T : RewardTrainerOptions =>
        options as T ?? throw new ArgumentException($"expected {typeof(T).Name}, got {options?.GetType().Name ?? "null"}", nameof(options));

    /// <summary>Loads a model of the manifest's kind from verified weights.</summary>
    /// <param name="manifest">The manifest.</param>
    /// <param name="weights">The verified weights.</param>
    /// <param name="store">The user state store (owned by the model).</param>
    /// <param name="device">The device.</param>
    /// <returns>The model.</returns>
    public static TorchUserRewardModel Load(RunManifest manifest, byte[] weights, IUserStateStore store, Device device)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var model = Get(manifest.ModelKind).Loader!(manifest, weights, store, device);
        if (!string.Equals(model.Fingerprint, manifest.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            model.Dispose();
            throw new CorruptRunException(manifest.Weights.File, "the loaded weights do not reproduce the fingerprint recorded in the manifest");
        }

        return model;
    }
}
