using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>
/// PAL (Chen et al., 2024): every user is a mixture w_u = softmax(W_u) over K shared prototypes. PAL-A rewards a
/// response by minus its distance to the user's ideal point f(w_u P); PAL-B by a scaled cosine with a
/// prompt-conditioned ideal point sum_k w_uk g_k(prompt). A user's state is the K logits W_u; a new user is fitted
/// from a few pairs with everything else frozen.
/// </summary>
public sealed class PalRewardModel : TorchUserRewardModel
{
    /// <summary>The model kind.</summary>
    public const string KindName = "pal";

    private readonly PalNetwork _network;
    private readonly PalOptions _options;
    private readonly float[] _coldStart;
    private readonly Lazy<PalMixtureFit?> _mixtureFit;

    internal PalRewardModel(PalNetwork network, TorchModelInfo info, PalOptions options, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;
        _options = options;
        using var scope = NewDisposeScope();
        _coldStart = network.PopulationLogits.cpu().data<float>().ToArray();
        _mixtureFit = new(() => network.Variant == PalVariant.B ? PalMixtureFit.Create(network, options) : null);
    }

    private PalRewardModel(PalRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
        _options = source._options;
        _coldStart = source._coldStart;
        _mixtureFit = source._mixtureFit;
    }

    /// <summary>The variant (A: fixed ideal points; B: prompt-conditioned ideal points).</summary>
    public PalVariant Variant => _options.Variant;

    /// <summary>The population module (tests reach the user fit through it).</summary>
    internal PalNetwork Network => _network;

    /// <summary>K, the number of shared prototypes and the length of every user's state.</summary>
    public int Prototypes => _network.K;

    /// <inheritdoc />
    protected override int StateSize => _network.K;

    /// <inheritdoc />
    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new PalRewardModel(this, store);

    /// <summary>
    /// A user state's mixture weights over the K prototypes: softmax of its logits. For states of a model trained with
    /// the population anchor, whose states carry extra columns after the logits, use <see cref="GetMixtureWeights"/>.
    /// </summary>
    /// <param name="state">A state of this model.</param>
    /// <returns>K weights summing to 1.</returns>
    public static double[] MixtureWeights(UserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Softmax(state.Vector.Span);
    }

    /// <summary>A user state's mixture weights over this model's K prototypes (the anchor's columns, when present, are not logits).</summary>
    /// <param name="state">A state of this model.</param>
    /// <returns>K weights summing to 1.</returns>
    /// <exception cref="DimensionMismatchException">The state is not one of this model's (another number of prototypes).</exception>
    public double[] GetMixtureWeights(UserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var logits = MethodPart(state.Vector.ToArray());
        if (logits.Length != Prototypes)
        {
            throw new DimensionMismatchException("user state (mixture logits)", Prototypes, logits.Length);
        }

        return Softmax(logits);
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var x in logits)
        {
            max = Math.Max(max, x);
        }

        var weights = new double[logits.Length];
        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            weights[i] = Math.Exp(logits[i] - max);
            sum += weights[i];
        }

        return weights.Select(w => w / sum).ToArray();
    }

    /// <inheritdoc />
    internal override IManagedScorer? CreateManagedScorer() => PalManagedScorer.Create(_network);

    /// <inheritdoc />
    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) =>
        _network.RewardMatrix(_network.Encode(responses, prompts), states);

    /// <inheritdoc />
    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) =>
        _network.Rewards(_network.Encode(responses, prompts), states);

    /// <inheritdoc />
    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken) =>
        PalUserFitter.Fit(_network, _options, _mixtureFit.Value, evidence, Device, cancellationToken);

    /// <inheritdoc />
    protected override float[] ColdStartState() => (float[])_coldStart.Clone();
}
