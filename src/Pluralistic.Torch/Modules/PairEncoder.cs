using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>How a <see cref="PairEncoder"/> combines the two responses of a pair.</summary>
public enum PairEncoding
{
    /// <summary>One MLP over <c>[e_chosen ; e_rejected]</c> (optionally with <c>e_chosen - e_rejected</c>) and the prompt.</summary>
    Concatenate,

    /// <summary>
    /// The difference of one MLP applied to each side: <c>MLP([e_chosen ; e_chosen - e_rejected ; prompt]) -
    /// MLP([e_rejected ; e_rejected - e_chosen ; prompt])</c> (without the difference inputs when it is not included).
    /// Antisymmetric (swapping chosen and rejected negates the encoding), which builds in that a preference is about
    /// how the two responses differ. The difference input matters when most of a response's features are shared
    /// template (text): without it VPL never picked up the one topic on which users disagree.
    /// </summary>
    Difference,
}

/// <summary>
/// Encodes a labelled pair as one vector: an MLP over <c>[e_chosen ; e_rejected]</c>, optionally with
/// <c>e_chosen - e_rejected</c> (and the prompt) appended, or the difference of one MLP applied to each side
/// (<see cref="PairEncoding.Difference"/>). Used by set-based user encoders (VPL, FSPO).
/// </summary>
public sealed class PairEncoder : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Mlp mlp;
    private readonly bool includeDifference;
    private readonly PairEncoding encoding;

    /// <summary>Creates the encoder.</summary>
    /// <param name="responseDimension">Response vector length.</param>
    /// <param name="promptDimension">Prompt vector length (0: no prompt input).</param>
    /// <param name="hidden">Hidden widths.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="includeDifference">Feed <c>chosen - rejected</c> too (to the difference encoding, each side's own difference).</param>
    /// <param name="activation">Nonlinearity.</param>
    /// <param name="name">Module name.</param>
    /// <param name="encoding">How the two responses are combined.</param>
    public PairEncoder(
        int responseDimension,
        int promptDimension,
        IReadOnlyList<int> hidden,
        int outputs,
        bool includeDifference = true,
        Activation activation = Activation.Relu,
        string name = "pair_encoder",
        PairEncoding encoding = PairEncoding.Concatenate)
        : base(name)
    {
        this.includeDifference = includeDifference;
        this.encoding = encoding;
        var inputs = encoding == PairEncoding.Difference
            ? ((this.includeDifference ? 2 : 1) * responseDimension) + promptDimension
            : ((this.includeDifference ? 3 : 2) * responseDimension) + promptDimension;
        mlp = new Mlp(inputs, hidden, outputs, activation, name: "mlp");
        OutputFeatures = outputs;
        RegisterComponents();
    }

    /// <summary>Output width.</summary>
    public int OutputFeatures { get; }

    /// <summary>Encodes pairs; any leading shape, last dimension features.</summary>
    /// <param name="chosen">[..., d].</param>
    /// <param name="rejected">[..., d].</param>
    /// <param name="prompt">[..., dp] or <see langword="null"/>.</param>
    /// <returns>[..., outputs].</returns>
    public override Tensor forward(Tensor chosen, Tensor rejected, Tensor? prompt)
    {
        if (encoding == PairEncoding.Difference)
        {
            var forward = new List<Tensor> { chosen };
            var backward = new List<Tensor> { rejected };
            if (includeDifference)
            {
                forward.Add(chosen - rejected);
                backward.Add(rejected - chosen);
            }

            if (prompt is not null)
            {
                forward.Add(prompt);
                backward.Add(prompt);
            }

            return mlp.call(cat(forward, dim: -1)) - mlp.call(cat(backward, dim: -1));
        }

        var parts = new List<Tensor> { chosen, rejected };
        if (includeDifference)
        {
            parts.Add(chosen - rejected);
        }

        if (prompt is not null)
        {
            parts.Add(prompt);
        }

        return mlp.call(cat(parts, dim: -1));
    }
}
