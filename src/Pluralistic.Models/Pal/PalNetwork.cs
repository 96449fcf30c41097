using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>
/// PAL's population parameters: the response projector f, the K prototypes (PAL-A: points in the input space mapped
/// by f; PAL-B without prompts: K vectors in the preference space), the K prompt projectors g_k (PAL-B with prompts:
/// one hidden trunk and K output heads, computed as one matrix product), the learnable capped reward scale, the
/// population's mixture logits (the cold-start state) and the prior of new users' logits (mean and precision of the
/// seen users' centred logits). Users' logits W_u are not part of it: they are user states.
/// </summary>
/// <remarks>
/// Every reward is computed from a user-independent part of the rows (the projected responses; for PAL-B each
/// basis vector's dot product with the unit projected response and the bases' Gram matrix) and the users' mixture
/// weights, so M responses are encoded once and combined with N users by matrix products.
/// </remarks>
internal sealed class PalNetwork : nn.Module
{
    // Field names are the weights' file format.
    private readonly Mlp projector;
    private readonly Mlp? prompt_projectors;
    private readonly Parameter? prototypes;
    private readonly Parameter log_scale;
    private readonly Tensor population_logits;
    private readonly Tensor prior_mean;
    private readonly Tensor prior_precision;
    private readonly double maxScale;

    /// <summary>Builds the module; <paramref name="options"/> must have K resolved (<see cref="PalOptions.ResolvePrototypes"/>).</summary>
    public PalNetwork(int responseDimension, int promptDimension, PalOptions options)
        : base("pal")
    {
        ArgumentNullException.ThrowIfNull(options);
        Variant = options.Variant;
        K = options.ResolvePrototypes(promptDimension);
        PreferenceDimension = options.PreferenceDimension;
        maxScale = options.MaxScale;
        if (Variant == PalVariant.A)
        {
            // PAL-A sees the prompt through its input (as the reference's item embeddings do); prototypes live there too.
            var inputs = responseDimension + promptDimension;
            projector = new Mlp(inputs, options.ProjectorHiddenSizes, PreferenceDimension, options.Activation, options.Dropout, name: "projector");
            prototypes = nn.Parameter(randn(K, inputs).div_(ScalarCache.Of(Math.Sqrt(inputs))));
        }
        else
        {
            projector = new Mlp(responseDimension, options.ProjectorHiddenSizes, PreferenceDimension, options.Activation, options.Dropout, name: "projector");
            if (promptDimension > 0)
            {
                prompt_projectors = new Mlp(
                    promptDimension, options.PromptProjectorHiddenSizes, K * PreferenceDimension, options.Activation, options.Dropout, name: "prompt_projectors");
            }
            else
            {
                prototypes = nn.Parameter(randn(K, PreferenceDimension).div_(ScalarCache.Of(Math.Sqrt(PreferenceDimension))));
            }
        }

        // Both variants scale their reward (the reference's logit scale): PAL-B's cosine is bounded, and PAL-A's
        // distances then need not grow through the projector, which weight decay keeps small.
        log_scale = nn.Parameter(tensor((float)Math.Log(options.InitialScale)));
        population_logits = zeros(K);
        prior_mean = zeros(K);
        prior_precision = eye(K);
        RegisterComponents();
    }

    public PalVariant Variant { get; }

    /// <summary>K, the number of prototypes.</summary>
    public int K { get; }

    public int PreferenceDimension { get; }

    /// <summary>The population's mixture logits (the cold-start state) [K].</summary>
    public Tensor PopulationLogits => population_logits;

    /// <summary>The mean of the seen users' centred logits [K]: the prior mean of a new user's logits.</summary>
    public Tensor PriorMean => prior_mean;

    /// <summary>The precision of the seen users' centred logits [K, K]: the prior precision of a new user's logits.</summary>
    public Tensor PriorPrecision => prior_precision;

    /// <summary>The prototypes (PAL-A, or PAL-B without prompts) [K, *], or <see langword="null"/>.</summary>
    public Parameter? PrototypeParameters => prototypes;

    /// <summary>The projectors' parameters (f, g_k) and the reward scale.</summary>
    public IEnumerable<Parameter> ProjectorParameters =>
        projector.parameters().Concat(prompt_projectors?.parameters() ?? []).Append(log_scale);

    /// <summary>The reward scale: exp(log s), capped.</summary>
    public Tensor Scale => log_scale.exp().clamp_max(ScalarCache.Of(maxScale));

    /// <summary>The user-independent part of the rewards of responses [..., d] (with prompts [..., dp]).</summary>
    public ResponseSide Encode(Tensor responses, Tensor? prompts)
    {
        if (Variant == PalVariant.A)
        {
            return new ResponseSide(projector.call(RewardInputs.Of(responses, prompts)), null, null);
        }

        var y = nn.functional.normalize(projector.call(responses), p: 2, dim: -1);
        if (prompt_projectors is null)
        {
            // Constant bases: dot products [..., K] and one Gram matrix [K, K].
            return new ResponseSide(y, y.matmul(prototypes!.t()), prototypes!.matmul(prototypes!.t()));
        }

        var shape = prompts!.shape[..^1].Append(K).Append(PreferenceDimension).ToArray();
        var bases = prompt_projectors.call(prompts).reshape(shape);               // [..., K, d']
        var dots = bases.matmul(y.unsqueeze(-1)).squeeze(-1);                     // [..., K]
        var gram = bases.matmul(bases.transpose(-1, -2));                         // [..., K, K]
        return new ResponseSide(y, dots, gram);
    }

    /// <summary>PAL-A ideal points f(softmax(W) P) of logits [..., K] as [..., d'].</summary>
    public Tensor IdealPoints(Tensor logits) => projector.call(logits.softmax(-1).matmul(prototypes!));

    /// <summary>
    /// Rewards of encoded rows under logits that broadcast against the encoding's leading dimensions: an encoding of
    /// [B] rows with logits [B, K] gives row i's reward for user i; an encoding of [U, L] rows with logits [U, 1, K]
    /// gives every user's reward of that user's L rows.
    /// </summary>
    public Tensor Rewards(ResponseSide side, Tensor logits)
    {
        if (Variant == PalVariant.A)
        {
            return -(side.Projected - IdealPoints(logits)).Squared().sum(-1).clamp_min(ScalarCache.Of(1e-12)).sqrt() * Scale;
        }

        // cos(f(y), u) with u = sum_k w_k b_k: (sum_k w_k b_k . f(y)) / sqrt(w' Gram w), f(y) of unit length.
        var w = logits.softmax(-1);
        var dot = (side.Dots! * w).sum(-1);
        var gramW = side.Gram!.dim() == 2 ? w.matmul(side.Gram) : side.Gram.matmul(w.unsqueeze(-1)).squeeze(-1);
        var norm = (gramW * w).sum(-1).clamp_min(ScalarCache.Of(1e-12)).sqrt();
        return Scale * dot / norm;
    }

    /// <summary>Rewards of M encoded responses for N users' logits [N, K] as [M, N], by matrix products.</summary>
    public Tensor RewardMatrix(ResponseSide side, Tensor logits)
    {
        if (Variant == PalVariant.A)
        {
            return -cdist(side.Projected, IdealPoints(logits)) * Scale;
        }

        var w = logits.softmax(-1);                                                // [N, K]
        var dot = side.Dots!.matmul(w.t());                                        // [M, N]
        Tensor squaredNorm;
        if (side.Gram!.dim() == 2)
        {
            squaredNorm = (w.matmul(side.Gram) * w).sum(-1).unsqueeze(0);           // [1, N]
        }
        else
        {
            // |sum_k w_nk b_mk|^2 = vec(Gram_m) . vec(w_n w_n'): one [M, K^2] x [K^2, N] product, no [M, N, d'] tensor.
            var outer = (w.unsqueeze(2) * w.unsqueeze(1)).reshape(w.shape[0], K * K);
            squaredNorm = side.Gram.reshape(side.Gram.shape[0], K * K).matmul(outer.t());
        }

        return Scale * dot / squaredNorm.clamp_min(ScalarCache.Of(1e-12)).sqrt();
    }

    /// <summary>Sets the cold-start logits and the prior of new users' logits (after training).</summary>
    public void SetPopulation(Tensor coldStart, Tensor priorMean, Tensor priorPrecision)
    {
        using var noGrad = no_grad();
        population_logits.copy_(coldStart);
        prior_mean.copy_(priorMean);
        prior_precision.copy_(priorPrecision);
    }

    /// <summary>
    /// Starts the prototypes at K rows of <paramref name="inputs"/> (PAL-A: responses with their prompts; PAL-B
    /// without prompts: their projections, made unit length).
    /// </summary>
    public void InitializePrototypesFrom(Tensor inputs)
    {
        if (prototypes is null)
        {
            return;
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var source = Variant == PalVariant.A ? inputs : nn.functional.normalize(projector.call(inputs), p: 2, dim: -1);
        prototypes.copy_(source);
    }
}

/// <summary>
/// The user-independent part of rewards for a set of rows: the projected responses and, for PAL-B, each basis
/// vector's dot product with the (unit) projected response and the bases' Gram matrix.
/// </summary>
/// <param name="Projected">f(x) [..., d'] (PAL-B: unit length).</param>
/// <param name="Dots">PAL-B: b_k . f(y) [..., K].</param>
/// <param name="Gram">PAL-B: b_k . b_j, [..., K, K] (or [K, K] when the bases do not depend on a prompt).</param>
internal sealed record ResponseSide(Tensor Projected, Tensor? Dots, Tensor? Gram);
