using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// A method's hooks with the population anchor applied: every state carries three more floats (a, b, c) and scores
/// <c>a r_pop(x) + b r_method(x; s) - c r_method(x; cold)</c>. Users with evidence get (1, w, w) in the
/// <see cref="PopulationAnchorForm.Deviation"/> form and (1 - w, w, 0) in the <see cref="PopulationAnchorForm.Blend"/>
/// form, with <c>w = n / (n + kappa)</c> for the n pairs their state was inferred from; cold users get (1, 0, 0), the
/// population reward exactly; explicit directions get (0, 1, 0), the method's own reward. On catalogue data the
/// population reward's item effects are added to every user's reward in full, whatever the weights (see
/// <see cref="ItemEffects"/>).
/// </summary>
/// <param name="method">The method's own hooks.</param>
/// <param name="anchor">The population reward.</param>
/// <param name="info">The anchor's form and kappa.</param>
internal sealed class AnchoredMethod(ITorchMethodHooks method, PopulationAnchor anchor, PopulationAnchorInfo info) : ITorchMethodHooks
{
    /// <summary>The floats the anchor adds to every state.</summary>
    public const int ExtraColumns = 3;

    /// <summary>The anchor's form and kappa (set once more after kappa is fitted, before any state is made).</summary>
    public PopulationAnchorInfo Info { get; set; } = info;

    /// <summary>The method's own hooks.</summary>
    public ITorchMethodHooks Method => method;

    /// <summary>The population reward.</summary>
    public PopulationAnchor Anchor => anchor;

    /// <inheritdoc />
    public int StateSize => method.StateSize + ExtraColumns;

    /// <summary>The anchor columns of a user whose state was inferred from <paramref name="pairs"/> pairs.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <returns>(a, b, c).</returns>
    public float[] Columns(int pairs) => Columns(Info.Form, Info.Weight(pairs));

    /// <summary>The anchor columns of a form and weight.</summary>
    public static float[] Columns(PopulationAnchorForm form, double weight) => form == PopulationAnchorForm.Blend
        ? [(float)(1 - weight), (float)weight, 0f]
        : [1f, (float)weight, (float)weight];

    /// <summary>A method state with anchor columns appended.</summary>
    public static float[] Append(float[] state, float[] columns) => [.. state, .. columns];

    /// <summary>The method's part of anchored states: the first method.StateSize floats of each row.</summary>
    public float[] Strip(float[] states, int rows)
    {
        var size = method.StateSize;
        var stripped = new float[rows * size];
        for (var r = 0; r < rows; r++)
        {
            Array.Copy(states, r * StateSize, stripped, r * size, size);
        }

        return stripped;
    }

    /// <inheritdoc />
    public Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states)
    {
        var size = method.StateSize;
        var own = method.ScoreMatrix(responses, prompts, states.narrow(1, 0, size));
        var cold = method.ScoreMatrix(responses, prompts, ColdTensor(states.device, 1));
        var population = anchor.call(responses, prompts).unsqueeze(1);
        var scores = population.mul(states.select(1, size).unsqueeze(0)).Plus(own.mul(states.select(1, size + 1).unsqueeze(0))).Plus(cold.mul(states.select(1, size + 2).unsqueeze(0)).neg());
        return anchor.ItemEffects is { } items ? scores.Plus(items.call(responses).unsqueeze(1).mul(OwnShare(states).unsqueeze(0))) : scores;
    }

    /// <inheritdoc />
    public Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states)
    {
        var size = method.StateSize;
        var own = method.ScoreRows(responses, prompts, states.narrow(1, 0, size));
        var cold = method.ScoreRows(responses, prompts, ColdTensor(states.device, states.shape[0]));
        var population = anchor.call(responses, prompts);
        var scores = population.mul(states.select(1, size)).Plus(own.mul(states.select(1, size + 1))).Plus(cold.mul(states.select(1, size + 2)).neg());
        return anchor.ItemEffects is { } items ? scores.Plus(items.call(responses).mul(OwnShare(states))) : scores;
    }

    /// <summary>
    /// b - c of every state: the weight the population's item effects get on top of the population reward's share.
    /// No method models which item a response is, so the effects belong to every user in full: with the population
    /// reward's own share a, a user's reward holds them (a + b - c) = 1 times in both forms, and the method's own
    /// reward (explicit directions) holds them once as well.
    /// </summary>
    private Tensor OwnShare(Tensor states) => states.select(1, method.StateSize + 1).sub(states.select(1, method.StateSize + 2));

    /// <inheritdoc />
    public float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken)
    {
        var states = method.InferStates(evidence, cancellationToken);
        var losses = Info.SurpriseSlope == 0 ? new double[evidence.Count] : evidence.Select(e => PopulationLoss(e, null)).ToArray();
        return states.Select((s, i) => s.Length == method.StateSize ? Append(s, Columns(Info.Form, Info.Weight(evidence[i].Count, losses[i]))) : s).ToArray();
    }

    /// <summary>
    /// The population reward's log-loss summed over pairs (their weights ignored, as the methods' state inference
    /// ignores them): how well the population explains what a user has said.
    /// </summary>
    /// <param name="data">The pairs' dataset.</param>
    /// <param name="records">The records to count, or <see langword="null"/> for all.</param>
    /// <returns>The summed log-loss (0 without pairs).</returns>
    public double PopulationLoss(PreferenceDataset data, IReadOnlyList<int>? records)
    {
        if ((records?.Count ?? data.Count) == 0)
        {
            return 0;
        }

        var device = ((Tensor)anchor.parameters().First()).device;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var pairs = new PairTensors(data, records, device);
        var margin = anchor.call(pairs.Chosen, pairs.Prompts) - anchor.call(pairs.Rejected, pairs.Prompts);
        return (-margin).Softplus().sum().item<float>();
    }

    /// <inheritdoc />
    public float[] ColdStartState() => Append(method.ColdStartState(), [1f, 0f, 0f]);

    /// <inheritdoc />
    public float[] DirectionState(IReadOnlyDictionary<string, double> direction) => Append(method.DirectionState(direction), [0f, 1f, 0f]);

    /// <inheritdoc />
    public IManagedScorer? CreateManagedScorer() =>
        method.CreateManagedScorer() is { } own ? new ManagedAnchoredScorer(own, anchor.Head, method.ColdStartState(), anchor.ItemEffects) : null;

    /// <summary>The method's cold-start state as [rows, S] on <paramref name="device"/>.</summary>
    public Tensor ColdTensor(Device device, long rows) =>
        tensor(method.ColdStartState(), [1, method.StateSize], ScalarType.Float32, device).expand(rows, method.StateSize);
}
