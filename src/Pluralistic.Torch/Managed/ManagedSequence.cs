using Pluralistic.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// A compiled chain of dense layers and nonlinearities (dropout is the identity when scoring): the managed form of an
/// <see cref="Mlp"/>, of one member of a <see cref="ParallelMlp"/> or of a conditioned head's hidden layers. Read-only
/// after compilation; scratch comes from the caller.
/// </summary>
internal sealed class ManagedSequence
{
    private readonly IReadOnlyList<Step> _steps;

    private ManagedSequence(IReadOnlyList<Step> steps, int inputs)
    {
        _steps = steps;
        Inputs = inputs;
        var width = inputs;
        foreach (var step in steps)
        {
            if (step.Dense is { } dense)
            {
                if (dense.Inputs != width)
                {
                    throw new ArgumentException($"layer of {dense.Inputs} inputs follows {width} features");
                }

                width = dense.Outputs;
            }

            Widest = Math.Max(Widest, width);
            Work += step.Dense?.Work ?? ((long)width * ManagedActivation.Cost(step.Activation));
        }

        Outputs = width;
    }

    /// <summary>Input features.</summary>
    public int Inputs { get; }

    /// <summary>Output features.</summary>
    public int Outputs { get; }

    /// <summary>The widest intermediate row (scratch needed per row, twice).</summary>
    public int Widest { get; }

    /// <summary>Multiply-add equivalents per row.</summary>
    public long Work { get; }

    /// <summary>The nonlinearity when the chain is that one step and nothing else (a conditioned head with one hidden layer), else <see langword="null"/>.</summary>
    public Activation? OnlyActivation => _steps is [{ Dense: null } step] ? step.Activation : null;

    /// <summary>Compiles the modules of a chain (Linear, activations, dropout), in order.</summary>
    /// <param name="modules">The modules.</param>
    /// <param name="inputs">Input features.</param>
    /// <returns>The chain.</returns>
    /// <exception cref="NotSupportedException">A module is none of those.</exception>
    public static ManagedSequence Compile(IEnumerable<nn.Module> modules, int inputs)
    {
        var steps = new List<Step>();
        foreach (var module in modules)
        {
            if (module is Linear linear)
            {
                steps.Add(new Step(Dense(linear.weight!, linear.bias, transposed: false), default));
            }
            else if (module is not SeededDropout)
            {
                steps.Add(new Step(null, ActivationOf(module)));
            }
        }

        return new ManagedSequence(steps, inputs);
    }

    /// <summary>Compiles an <see cref="Mlp"/>.</summary>
    public static ManagedSequence Compile(Mlp mlp) =>
        Compile(mlp.named_children().Single(c => c.name == "layers").module.children(), mlp.InputFeatures);

    /// <summary>Compiles member <paramref name="member"/> of a <see cref="ParallelMlp"/>.</summary>
    public static ManagedSequence Compile(ParallelMlp mlp, int member)
    {
        using var scope = NewDisposeScope();
        var parameters = mlp.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var activation = ActivationOf(mlp.named_children().Single(c => c.name == "activation").module);
        var steps = new List<Step>();
        for (var layer = 0; parameters.ContainsKey($"weights.{layer}"); layer++)
        {
            if (layer > 0)
            {
                steps.Add(new Step(null, activation));
            }

            steps.Add(new Step(Dense(parameters[$"weights.{layer}"][member], parameters[$"biases.{layer}"][member].reshape(-1), transposed: true), default));
        }

        return new ManagedSequence(steps, mlp.InputFeatures);
    }

    /// <summary>
    /// The same chain applied to inputs divided by <paramref name="divisors"/> beforehand: the division folded into the
    /// first layer's weights (<see cref="ManagedDense.DivideInputs"/>).
    /// </summary>
    /// <param name="divisors">[inputs], nonzero.</param>
    /// <returns>The new chain.</returns>
    /// <exception cref="NotSupportedException">The chain does not start with a dense layer.</exception>
    public ManagedSequence DivideInputs(ReadOnlySpan<float> divisors)
    {
        if (_steps.Count == 0 || _steps[0].Dense is not { } first)
        {
            throw new NotSupportedException("only a chain that starts with a dense layer can take its inputs' divisors");
        }

        return new ManagedSequence([new Step(first.DivideInputs(divisors), default), .. _steps.Skip(1)], Inputs);
    }

    /// <summary>The float values of a tensor, row-major, on the host.</summary>
    public static float[] Values(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().contiguous().data<float>().ToArray();
    }

    /// <summary>A dense layer from a weight matrix ([out, in], or [in, out] when <paramref name="transposed"/>) and bias.</summary>
    public static ManagedDense Dense(Tensor weight, Tensor? bias, bool transposed)
    {
        using var scope = NewDisposeScope();
        var w = transposed ? weight.t() : weight;
        return new ManagedDense(Values(w), bias is null ? null : Values(bias), (int)w.shape[0], (int)w.shape[1]);
    }

    /// <summary>The <see cref="Activation"/> a module computes.</summary>
    /// <exception cref="NotSupportedException">The module is not one of them.</exception>
    public static Activation ActivationOf(nn.Module module) => module switch
    {
        ReLU => Activation.Relu,
        LeakyRelu leaky when Math.Abs(leaky.NegativeSlope - 0.2) < 1e-12 => Activation.LeakyRelu,
        GELU => Activation.Gelu,
        Tanh => Activation.Tanh,
        SiLU => Activation.Silu,
        _ => throw new NotSupportedException($"no managed form of {module.GetType().Name}"),
    };

    /// <summary>The child module of <paramref name="module"/> registered under <paramref name="name"/> (a private field of a trained network).</summary>
    /// <exception cref="NotSupportedException">There is no such child of that type.</exception>
    public static T Child<T>(nn.Module module, string name)
        where T : nn.Module =>
        module.named_children().Where(c => c.name == name).Select(c => c.module).OfType<T>().FirstOrDefault()
        ?? throw new NotSupportedException($"{module.GetName()} has no {typeof(T).Name} named {name}");

    /// <summary>The buffer or parameter of <paramref name="module"/> named <paramref name="name"/>, as host floats.</summary>
    /// <exception cref="NotSupportedException">There is no such tensor.</exception>
    public static float[] TensorValues(nn.Module module, string name) =>
        Values(module.named_buffers().Concat(module.named_parameters().Select(p => (p.name, (Tensor)p.parameter))).Where(t => t.Item1 == name).Select(t => t.Item2).FirstOrDefault()
            ?? throw new NotSupportedException($"{module.GetName()} has no tensor named {name}"));

    /// <summary>Runs the chain on <paramref name="rows"/> rows with pooled scratch.</summary>
    /// <param name="input">[rows, inputs] (not modified).</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="output">Receives [rows, outputs].</param>
    public void Forward(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        var scratch = ManagedScoring.Rent(2L * rows * Widest);
        try
        {
            Forward(input, rows, output, scratch);
        }
        finally
        {
            ManagedScoring.Return(scratch);
        }
    }

    /// <summary>Runs the chain on <paramref name="rows"/> rows.</summary>
    /// <param name="input">[rows, inputs] (not modified).</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="output">Receives [rows, outputs].</param>
    /// <param name="scratch">At least 2 x rows x <see cref="Widest"/> floats.</param>
    public void Forward(ReadOnlySpan<float> input, int rows, Span<float> output, Span<float> scratch)
    {
        var size = rows * Widest;
        var width = Inputs;
        var buffer = -1;
        foreach (var step in _steps)
        {
            if (step.Dense is { } dense)
            {
                var next = buffer == 0 ? 1 : 0;
                dense.Apply(buffer < 0 ? input : scratch.Slice(buffer * size, rows * width), rows, scratch.Slice(next * size, rows * dense.Outputs));
                buffer = next;
                width = dense.Outputs;
                continue;
            }

            if (buffer < 0)
            {
                input[..(rows * width)].CopyTo(scratch);
                buffer = 0;
            }

            ManagedActivation.Apply(step.Activation, scratch.Slice(buffer * size, rows * width));
        }

        (buffer < 0 ? input : scratch.Slice(buffer * size))[..(rows * width)].CopyTo(output);
    }

    private readonly record struct Step(ManagedDense? Dense, Activation Activation);
}
