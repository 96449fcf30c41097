using System.Numerics.Tensors;
using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>
/// PAL's managed forward. PAL-B: the scaled cosine between the unit projected response f(x) and the user's ideal point
/// <c>u = sum_k w_k b_k</c> (bases b_k: the prototypes, or g_k(prompt)); PAL-A: minus the scaled distance between
/// f([x ; prompt]) and the user's ideal point f(w P). Mixture weights w = softmax of the state's logits.
/// </summary>
internal sealed class PalManagedScorer : IManagedScorer
{
    private readonly PalVariant _variant;
    private readonly ManagedSequence _projector;
    private readonly ManagedSequence? _promptProjectors;
    private readonly float[]? _prototypes;
    private readonly int _k;
    private readonly int _dimension;
    private readonly float _scale;

    private PalManagedScorer(PalNetwork network)
    {
        _variant = network.Variant;
        _k = network.K;
        _dimension = network.PreferenceDimension;
        _projector = ManagedSequence.Compile(ManagedSequence.Child<Mlp>(network, "projector"));
        _promptProjectors = network.named_children().Any(c => c.name == "prompt_projectors")
            ? ManagedSequence.Compile(ManagedSequence.Child<Mlp>(network, "prompt_projectors"))
            : null;
        _prototypes = network.PrototypeParameters is { } prototypes ? ManagedSequence.Values(prototypes) : null;
        using var scope = NewDisposeScope();
        _scale = network.Scale.item<float>();
    }

    /// <inheritdoc />
    public int StateSize => _k;

    /// <summary>Compiles the network.</summary>
    public static IManagedScorer Create(PalNetwork network) => new PalManagedScorer(network);

    /// <inheritdoc />
    public long Work(int responses, int users) =>
        ((long)responses * (_projector.Work + (_promptProjectors?.Work ?? 0)))
        + ((long)users * (_variant == PalVariant.A ? _projector.Work : 0))
        + ((long)responses * users * _k * _dimension);

    /// <inheritdoc />
    public void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination)
    {
        var d = _dimension;
        var projected = ManagedScoring.Rent((long)m * d);
        var weights = ManagedScoring.Rent((long)n * _k);
        var point = ManagedScoring.Rent(Math.Max(n, 1) * (long)Math.Max(d, _k));
        // PAL-A projects [x ; prompt]; PAL-B projects the response alone (the prompt shapes the bases).
        float[]? rented = null;
        var rows = _variant == PalVariant.A ? ManagedInputs.Rent(responses, prompts, m, _projector.Inputs, out rented) : responses;
        try
        {
            for (var u = 0; u < n; u++)
            {
                TensorPrimitives.SoftMax(states.Slice(u * _k, _k), weights.AsSpan(u * _k, _k));
            }

            _projector.Forward(rows, m, projected.AsSpan(0, m * d));
            if (_variant == PalVariant.A)
            {
                // Ideal points f(w P): [N, K] x [K, in] through the projector.
                var inputs = _projector.Inputs;
                var mixed = ManagedScoring.Rent((long)n * inputs);
                try
                {
                    for (var u = 0; u < n; u++)
                    {
                        var target = mixed.AsSpan(u * inputs, inputs);
                        target.Clear();
                        for (var j = 0; j < _k; j++)
                        {
                            TensorPrimitives.MultiplyAdd(_prototypes.AsSpan(j * inputs, inputs), weights[(u * _k) + j], target, target);
                        }
                    }

                    _projector.Forward(mixed.AsSpan(0, n * inputs), n, point.AsSpan(0, n * d));
                }
                finally
                {
                    ManagedScoring.Return(mixed);
                }

                for (var r = 0; r < m; r++)
                {
                    for (var u = 0; u < n; u++)
                    {
                        destination[(r * n) + u] = -TensorPrimitives.Distance(projected.AsSpan(r * d, d), point.AsSpan(u * d, d)) * _scale;
                    }
                }

                return;
            }

            for (var r = 0; r < m; r++)
            {
                var y = projected.AsSpan(r * d, d);
                TensorPrimitives.Divide(y, MathF.Max(TensorPrimitives.Norm(y), 1e-12f), y);
            }

            var bases = Bases(prompts, m, out var rentedBases);
            try
            {
                var ideal = point.AsSpan(0, d);
                for (var r = 0; r < m; r++)
                {
                    var basis = _promptProjectors is null ? bases : bases.Slice(r * _k * d, _k * d);
                    for (var u = 0; u < n; u++)
                    {
                        ideal.Clear();
                        for (var j = 0; j < _k; j++)
                        {
                            TensorPrimitives.MultiplyAdd(basis.Slice(j * d, d), weights[(u * _k) + j], ideal, ideal);
                        }

                        var norm = MathF.Sqrt(MathF.Max(TensorPrimitives.Dot(ideal, ideal), 1e-12f));
                        destination[(r * n) + u] = _scale * TensorPrimitives.Dot(ideal, projected.AsSpan(r * d, d)) / norm;
                    }
                }
            }
            finally
            {
                if (rentedBases is not null)
                {
                    ManagedScoring.Return(rentedBases);
                }
            }
        }
        finally
        {
            ManagedScoring.Return(projected);
            ManagedScoring.Return(weights);
            ManagedScoring.Return(point);
            if (rented is not null)
            {
                ManagedScoring.Return(rented);
            }
        }
    }

    // PAL-B's bases: the prototypes [K, d'], or g(prompt) per response [M, K, d'].
    private ReadOnlySpan<float> Bases(ReadOnlySpan<float> prompts, int m, out float[]? rented)
    {
        if (_promptProjectors is null)
        {
            rented = null;
            return _prototypes;
        }

        rented = ManagedScoring.Rent((long)m * _k * _dimension);
        _promptProjectors.Forward(prompts, m, rented.AsSpan(0, m * _k * _dimension));
        return rented.AsSpan(0, m * _k * _dimension);
    }
}
