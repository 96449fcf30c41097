using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// Encodes a labelled pair as one vector: an MLP over <c>[e_chosen ; e_rejected]</c>, optionally with
/// <c>e_chosen - e_rejected</c> (and the prompt) appended. Used by set-based user encoders (VPL, FSPO).
/// </summary>
public sealed class PairEncoder : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Mlp mlp;
    private readonly bool includeDifference;

    /// <summary>Creates the encoder.</summary>
    /// <param name="responseDimension">Response vector length.</param>
    /// <param name="promptDimension">Prompt vector length (0: no prompt input).</param>
    /// <param name="hidden">Hidden widths.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="includeDifference">Append <c>chosen - rejected</c>.</param>
    /// <param name="activation">Nonlinearity.</param>
    /// <param name="name">Module name.</param>
    public PairEncoder(int responseDimension, int promptDimension, IReadOnlyList<int> hidden, int outputs, bool includeDifference = true, Activation activation = Activation.Relu, string name = "pair_encoder")
        : base(name)
    {
        this.includeDifference = includeDifference;
        var inputs = ((includeDifference ? 3 : 2) * responseDimension) + promptDimension;
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
