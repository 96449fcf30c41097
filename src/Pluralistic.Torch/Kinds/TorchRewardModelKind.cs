using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// The base of a TorchSharp method's kind descriptor: everything the SDK needs to train, describe and load models of
/// the method, written once for all methods. A method supplies its names, options JSON, how to build its network and
/// model, a one-line description and its trainer; loading (options from the manifest, the network rebuilt under the
/// run's seed, verified weights, the model around them) is done here.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
/// <typeparam name="TModel">The method's model.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0022", Justification = "RewardModelKind is sealed to this one public base on purpose: every kind from any assembly derives from TorchRewardModelKind.")]
public abstract class TorchRewardModelKind<TOptions, TModel> : RewardModelKind
    where TOptions : RewardTrainerOptions
    where TModel : TorchUserRewardModel
{
    /// <inheritdoc />
    public sealed override Type OptionsType => typeof(TOptions);

    /// <summary>Source-generated JSON metadata of the options (snake_case, as manifests store them).</summary>
    protected abstract JsonTypeInfo<TOptions> OptionsJson { get; }

    /// <summary>
    /// Options renamed since runs were first saved: old JSON name to new. Manifests are read through it, so runs saved
    /// under an old name still load (the option keeps its meaning; only its name changed).
    /// </summary>
    protected virtual IReadOnlyDictionary<string, string> RenamedOptions { get; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public override bool IsPersonalized => true;

    /// <summary>The method's default options.</summary>
    /// <returns>New default options.</returns>
    public abstract TOptions DefaultOptions();

    /// <summary>Creates the method's trainer.</summary>
    /// <param name="options">The options; <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public abstract TorchRewardTrainer<TOptions, TModel> CreateTrainer(TOptions? options = null);

    /// <summary>Builds an untrained population module of this shape and these options (the run's weights are loaded into it).</summary>
    /// <param name="shape">Dimensions and objective names.</param>
    /// <param name="options">The options the weights were trained with.</param>
    /// <returns>The module.</returns>
    public abstract nn.Module CreateNetwork(ModelShape shape, TOptions options);

    /// <summary>Wraps a trained (or loaded) population module as a model that owns it and <paramref name="store"/>.</summary>
    /// <param name="network">The module (built by <see cref="CreateNetwork"/>, or trained by the kind's trainer).</param>
    /// <param name="options">Its options.</param>
    /// <param name="info">What the model is.</param>
    /// <param name="store">Where its user states live.</param>
    /// <param name="device">The module's device.</param>
    /// <returns>The model.</returns>
    public abstract TModel CreateModel(nn.Module network, TOptions options, TorchModelInfo info, IUserStateStore store, Device device);

    /// <summary>One line describing a model of these options, for people (listed by commands and manifests).</summary>
    /// <param name="shape">Dimensions and objective names.</param>
    /// <param name="options">The options.</param>
    /// <returns>The description.</returns>
    protected abstract string Describe(ModelShape shape, TOptions options);

    /// <summary>Refuses a manifest whose options cannot describe a loadable model (for example an unresolved option).</summary>
    /// <param name="shape">Dimensions and objective names from the manifest.</param>
    /// <param name="options">The options from the manifest.</param>
    /// <exception cref="CorruptRunException">The options do not describe a loadable model.</exception>
    protected virtual void CheckLoadable(ModelShape shape, TOptions options)
    {
    }

    /// <summary>What a model of this shape and these options is (training facts are added by the trainer or the manifest).</summary>
    /// <param name="shape">Dimensions and objective names.</param>
    /// <param name="options">The options.</param>
    /// <returns>The description of the model.</returns>
    public TorchModelInfo CreateInfo(ModelShape shape, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(options);
        return new TorchModelInfo
        {
            Kind = Name,
            ResponseDimension = shape.ResponseDimension,
            PromptDimension = shape.PromptDimension,
            ObjectiveNames = shape.ObjectiveNames,
            IsPersonalized = IsPersonalized,
            Options = JsonSerializer.SerializeToElement(options, OptionsJson),
            EvidenceCapacity = options.EvidenceCapacity,
            Description = Describe(shape, options),
        };
    }

    /// <inheritdoc />
    public sealed override RewardTrainerOptions CreateDefaultOptions() => DefaultOptions();

    /// <inheritdoc />
    public sealed override TorchUserRewardModel Train(
        RewardTrainerOptions options, PreferenceDataset trainingData, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        CreateTrainer(KindFlag.Cast<TOptions>(options)).Fit(trainingData, progress, cancellationToken);

    /// <inheritdoc />
    public sealed override RewardTrainerOptions ReadOptions(JsonElement json)
    {
        if (RenamedOptions.Count > 0 && json.ValueKind == JsonValueKind.Object && json.EnumerateObject().Any(p => RenamedOptions.ContainsKey(p.Name)))
        {
            var renamed = new System.Text.Json.Nodes.JsonObject();
            foreach (var property in json.EnumerateObject())
            {
                renamed[RenamedOptions.GetValueOrDefault(property.Name, property.Name)] = System.Text.Json.Nodes.JsonNode.Parse(property.Value.GetRawText());
            }

            return renamed.Deserialize(OptionsJson) ?? throw new JsonException("the options are empty");
        }

        return json.Deserialize(OptionsJson) ?? throw new JsonException("the options are empty");
    }

    /// <inheritdoc />
    public sealed override JsonElement WriteOptions(RewardTrainerOptions options) =>
        JsonSerializer.SerializeToElement(KindFlag.Cast<TOptions>(options), OptionsJson);

    /// <inheritdoc />
    public sealed override TorchUserRewardModel Load(RunManifest manifest, byte[] weights, IUserStateStore store, Device device)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(store);
        TOptions options;
        try
        {
            // The options do not carry the anchor (the manifest does): read back, they say whether the run has one.
            options = (TOptions)(ReadOptions(manifest.Options) with { PopulationAnchor = manifest.PopulationAnchor is not null });
        }
        catch (JsonException ex)
        {
            throw new CorruptRunException(Checkpoint.ManifestFile, $"the manifest's options do not describe a '{Name}' model: {ex.Message}", ex);
        }

        var shape = ModelShape.Of(manifest);
        CheckLoadable(shape, options);
        var network = ModuleWeights.Rebuild(manifest, weights, device, () =>
        {
            var built = CreateNetwork(shape, options);
            if (manifest.PopulationAnchor is { } anchor)
            {
                PopulationAnchor.Attach(built, shape, anchor);
            }

            if (shape.ItemEffects > 0)
            {
                var host = ItemEffectsHosts.PopulationRewardOf(built)
                    ?? throw new CorruptRunException(Checkpoint.ManifestFile, $"the manifest gives a '{Name}' model without a population reward {shape.ItemEffects} item effects");
                host.AttachItemEffects(new ItemEffects(shape.ItemEffects));
            }

            return built;
        });
        try
        {
            return CreateModel(network, options, CreateInfo(shape, options).FromManifest(manifest), store, device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}

/// <summary>The shape of a model's inputs and outputs: what the weights were built for besides the options.</summary>
/// <param name="ResponseDimension">Response vector length.</param>
/// <param name="PromptDimension">Prompt vector length (0: none).</param>
/// <param name="ObjectiveNames">Named objectives (multi-objective models); empty otherwise.</param>
public sealed record ModelShape(int ResponseDimension, int PromptDimension, IReadOnlyList<string> ObjectiveNames)
{
    /// <summary>
    /// The number of catalogue items whose effect the model's population reward learned (the baseline's network, or a
    /// personalized model's anchor); 0 when it learned none (see <see cref="RunManifest.ItemEffects"/>).
    /// </summary>
    public int ItemEffects { get; init; }

    /// <summary>The shape of a training set.</summary>
    /// <param name="data">The data.</param>
    /// <param name="objectiveNames">The objectives the model learns (default none).</param>
    /// <returns>The shape.</returns>
    public static ModelShape Of(PreferenceDataset data, IReadOnlyList<string>? objectiveNames = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new ModelShape(data.ResponseDimension, data.PromptDimension, objectiveNames ?? []);
    }

    /// <summary>The shape a run's manifest records.</summary>
    /// <param name="manifest">The manifest.</param>
    /// <returns>The shape.</returns>
    public static ModelShape Of(RunManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new ModelShape(manifest.ResponseDimension, manifest.PromptDimension, manifest.ObjectiveNames) { ItemEffects = manifest.ItemEffects };
    }
}
