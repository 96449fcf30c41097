using System.Numerics.Tensors;
using Pluralistic.Torch.Modules;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// The managed form of a <see cref="ConditionedRewardHead"/>: <c>r = (V c + w_0) . h(W_x x + W_c c + b) + b_0</c>.
/// The inputs are projected once per request and the conditions once each. A head with one hidden layer and a
/// nonlinearity <see cref="ManagedConditionedPairs"/> computes in registers scores every pair in that fused pass, at
/// any size (its <see cref="MaxWork"/> is unbounded); otherwise each condition adds its projection, runs the hidden
/// layers over the M rows and weighs them with its own output weights.
/// </summary>
internal sealed class ManagedConditionedHead
{
    private readonly ManagedDense _input;
    private readonly ManagedDense _condition;
    private readonly ManagedSequence _hidden;
    private readonly ManagedDense _output;
    private readonly Activation? _fused;

    /// <summary>Compiles the head from its weights (parameter names are the weights file's keys).</summary>
    /// <param name="head">The trained head.</param>
    public ManagedConditionedHead(ConditionedRewardHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        var children = head.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        _input = Linear(children["input"]);
        _condition = Linear(children["condition"]);
        _output = Linear(children["output"]);
        _hidden = ManagedSequence.Compile(children["hidden"].children(), _input.Outputs);
        ConditionFeatures = head.ConditionFeatures;
        _fused = ManagedConditionedPairs.Supports(_hidden.OnlyActivation) ? _hidden.OnlyActivation : null;
    }

    /// <summary>Condition features.</summary>
    public int ConditionFeatures { get; }

    /// <summary>
    /// The most work of a request this head scores instead of libtorch: unbounded with the fused pass, whose cost is
    /// the arithmetic at every size, else <see cref="ManagedScoring.MaxWork"/>.
    /// </summary>
    public long MaxWork => _fused is null ? ManagedScoring.MaxWork : long.MaxValue;

    /// <summary>Multiply-add equivalents of M inputs for N conditions.</summary>
    public long Work(int m, int n) => ((long)m * _input.Work) + ((long)n * (_condition.Work + _output.Work)) + ((long)m * n * (_hidden.Work + _hidden.Outputs));

    /// <summary>Every response (with its prompt) for every condition: [M, d] (+ [M, dp]) x [N, c] -> [M, N], row-major.</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] (empty without prompts).</param>
    /// <param name="m">M.</param>
    /// <param name="conditions">[N, c].</param>
    /// <param name="n">N.</param>
    /// <param name="destination">Receives [M, N].</param>
    public void Matrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> conditions, int n, Span<float> destination)
    {
        var rows = ManagedInputs.Rent(responses, prompts, m, _input.Inputs, out var rented);
        try
        {
            Matrix(rows, m, conditions, n, destination);
        }
        finally
        {
            if (rented is not null)
            {
                ManagedScoring.Return(rented);
            }
        }
    }

    /// <summary>Every input for every condition: [M, in] x [N, c] -> [M, N], row-major.</summary>
    /// <param name="inputs">[M, in].</param>
    /// <param name="m">M.</param>
    /// <param name="conditions">[N, c].</param>
    /// <param name="n">N.</param>
    /// <param name="destination">Receives [M, N].</param>
    public void Matrix(ReadOnlySpan<float> inputs, int m, ReadOnlySpan<float> conditions, int n, Span<float> destination)
    {
        if (_fused is { } activation)
        {
            Fused(activation, inputs, m, conditions, n, destination);
            return;
        }

        var width = _input.Outputs;
        var last = _hidden.Outputs;
        var projected = ManagedScoring.Rent((long)m * width);
        var first = ManagedScoring.Rent((long)m * width);
        var features = ManagedScoring.Rent((long)m * last);
        var scratch = ManagedScoring.Rent(2L * m * _hidden.Widest);
        var condition = new float[width];
        var output = new float[last + 1];
        try
        {
            _input.Apply(inputs, m, projected);
            for (var u = 0; u < n; u++)
            {
                var c = conditions.Slice(u * ConditionFeatures, ConditionFeatures);
                _condition.Apply(c, 1, condition);
                _output.Apply(c, 1, output);
                for (var r = 0; r < m; r++)
                {
                    TensorPrimitives.Add(projected.AsSpan(r * width, width), condition, first.AsSpan(r * width, width));
                }

                _hidden.Forward(first.AsSpan(0, m * width), m, features, scratch);
                for (var r = 0; r < m; r++)
                {
                    destination[(r * n) + u] = TensorPrimitives.Dot(features.AsSpan(r * last, last), output.AsSpan(0, last)) + output[last];
                }
            }
        }
        finally
        {
            ManagedScoring.Return(projected);
            ManagedScoring.Return(first);
            ManagedScoring.Return(features);
            ManagedScoring.Return(scratch);
        }
    }

    /// <summary>Projects the inputs and the conditions once each, then scores every pair in one fused pass.</summary>
    private void Fused(Activation activation, ReadOnlySpan<float> inputs, int m, ReadOnlySpan<float> conditions, int n, Span<float> destination)
    {
        var width = _input.Outputs;
        var projected = ManagedScoring.Rent((long)m * width);
        var shifts = ManagedScoring.Rent((long)n * width);
        var outputs = ManagedScoring.Rent((long)n * _output.Outputs);
        try
        {
            _input.Apply(inputs, m, projected);
            _condition.Apply(conditions, n, shifts);
            _output.Apply(conditions, n, outputs);
            ManagedConditionedPairs.Score(activation, projected.AsSpan(0, m * width), m, shifts.AsSpan(0, n * width), outputs.AsSpan(0, n * _output.Outputs), n, width, destination);
        }
        finally
        {
            ManagedScoring.Return(projected);
            ManagedScoring.Return(shifts);
            ManagedScoring.Return(outputs);
        }
    }

    private static ManagedDense Linear(TorchSharp.torch.nn.Module module)
    {
        var linear = (TorchSharp.Modules.Linear)module;
        return ManagedSequence.Dense(linear.weight!, linear.bias, transposed: false);
    }
}
