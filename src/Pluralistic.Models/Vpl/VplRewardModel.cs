using Pluralistic.Torch;
using Pluralistic.Torch.Managed;
using Pluralistic.Torch.Modules;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>
/// VPL (variational preference learning, Poddar et al. 2024): each user is a Gaussian posterior q(z | pairs) over a
/// latent vector, inferred from the user's labelled pairs in one encoder pass, and the user's reward is
/// r(response, prompt | z) with z the posterior mean (normalised). A user's state is [mean ; log-variance]; the
/// cold-start state is the prior (mean 0, log-variance 0), which scores with z = 0, the population-level reward.
/// Offers <see cref="IUserPosterior"/> (posterior variance, active latent units) and
/// <see cref="IActiveQuestionSelector"/> (which pair to ask a user next) through <see cref="TorchUserRewardModel.GetService"/>.
/// </summary>
public sealed class VplRewardModel : TorchUserRewardModel, IUserPosterior, IActiveQuestionSelector
{
    /// <summary>The model kind.</summary>
    public const string KindName = "vpl";

    private readonly VplNetwork _network;
    private readonly VplOptions _options;

    internal VplRewardModel(VplNetwork network, VplOptions options, TorchModelInfo info, IUserStateStore store, Device device)
        : base(network, info, store, device, ownsStore: true)
    {
        _network = network;
        _options = options;
    }

    private VplRewardModel(VplRewardModel source, IUserStateStore store)
        : base(source, store)
    {
        _network = source._network;
        _options = source._options;
    }

    /// <inheritdoc />
    public int LatentSize => _network.LatentSize;

    /// <summary>The options the model was trained with.</summary>
    public VplOptions Options => _options;

    /// <inheritdoc />
    protected override int StateSize => 2 * _network.LatentSize;

    /// <inheritdoc />
    public override TorchUserRewardModel WithUserStateStore(IUserStateStore store) => new VplRewardModel(this, store);

    /// <inheritdoc />
    public async Task<IReadOnlyList<UserPosterior>> GetPosteriorsAsync(
        IReadOnlyList<UserId> users, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var states = await ResolveStatesAsync(users, options ?? ScoringOptions.Default, cancellationToken).ConfigureAwait(false);
        var stored = await UserStates.GetManyAsync(users.Distinct(), cancellationToken).ConfigureAwait(false);
        var latent = LatentSize;
        var posteriors = new List<UserPosterior>(users.Count);
        for (var u = 0; u < users.Count; u++)
        {
            var state = states.AsSpan(u * 2 * latent, 2 * latent);
            var variance = new float[latent];
            for (var i = 0; i < latent; i++)
            {
                variance[i] = MathF.Exp(state[latent + i]);
            }

            posteriors.Add(new UserPosterior(users[u], state[..latent].ToArray(), variance, !stored.ContainsKey(users[u])));
        }

        return posteriors;
    }

    /// <inheritdoc />
    public async Task<ActiveUnitsReport> MeasureActiveUnitsAsync(
        IReadOnlyList<UserId> users, double threshold = ActiveUnitsReport.DefaultThreshold, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var states = await ResolveStatesAsync(users, ScoringOptions.Default, cancellationToken).ConfigureAwait(false);
        var size = StateSize;
        return ActiveUnits(Enumerable.Range(0, users.Count).Select(u => states.AsSpan(u * size, size).ToArray()).ToList(), LatentSize, threshold);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The score is the mutual information between the user's answer y and the latent z under the user's posterior
    /// (BALD): <c>H[E_q p(y | z)] - E_q H[p(y | z)]</c>, estimated with <see cref="VplOptions.PosteriorSamples"/>
    /// latents drawn from q with a fixed seed (so rankings are repeatable). It is high where plausible latents of the
    /// user disagree about the answer and low where they agree, or where every latent finds the pair a coin flip.
    /// </remarks>
    public async Task<QuestionRanking> RankQuestionsAsync(UserId user, PreferenceDataset candidates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        CheckDimensions(candidates.ResponseDimension, candidates.PromptDimension, candidates.SourcePath ?? "candidates");
        var state = await ResolveStatesAsync([user], new ScoringOptions { AllowColdStart = true }, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var scores = new double[candidates.Count];
        if (candidates.Count > 0)
        {
            ExpectedInformation(state, candidates, scores);
        }

        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        return new QuestionRanking(user, scores, order);
    }

    /// <inheritdoc />
    internal override IManagedScorer? CreateManagedScorer() => VplManagedScorer.Create(_network);

    /// <inheritdoc />
    protected override Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states) =>
        _network.ScoreMatrix(responses, prompts, _network.StateLatent(states));

    /// <inheritdoc />
    protected override Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states) =>
        _network.ScoreRows(responses, prompts, _network.StateLatent(states));

    /// <inheritdoc />
    protected override float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken) =>
        VplInference.InferStates(_network, evidence, Device, cancellationToken);

    /// <inheritdoc />
    protected override float[] ColdStartState() => new float[StateSize];

    /// <summary>Active units of states [mean ; log-variance]: dimensions whose mean varies across users above the threshold.</summary>
    internal static ActiveUnitsReport ActiveUnits(IReadOnlyList<float[]> states, int latentSize, double threshold) =>
        ActiveUnitsReport.FromMeans(states.Select(s => (IReadOnlyList<float>)s[..latentSize]).ToList(), threshold);

    /// <summary>BALD over samples of the user's posterior, for every candidate, into <paramref name="scores"/>.</summary>
    private void ExpectedInformation(float[] state, PreferenceDataset candidates, double[] scores)
    {
        var latent = LatentSize;
        var samples = _options.PosteriorSamples;
        var noise = new float[samples * latent];
        var random = new Random(Info.Seed);
        for (var i = 0; i < noise.Length; i++)
        {
            // Box-Muller from a seeded System.Random: repeatable and independent of libtorch's global generator.
            var u1 = 1.0 - random.NextDouble();
            noise[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        var n = candidates.Count;
        var d = candidates.ResponseDimension;
        var dp = candidates.PromptDimension;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var stateTensor = tensor(state, [1, 2 * latent], ScalarType.Float32, Device);
        var mean = stateTensor.narrow(1, 0, latent);
        var logVariance = stateTensor.narrow(1, latent, latent);
        var latents = _network.Latent(mean.expand(samples, latent), logVariance.expand(samples, latent), tensor(noise, [samples, latent], ScalarType.Float32, Device));
        var prompts = dp == 0 ? null : PairTensors.ToTensor(candidates.PromptVectors, [n, dp], Device);
        var a = _network.RewardMatrix(RewardInputs.Of(PairTensors.ToTensor(candidates.ChosenVectors, [n, d], Device), prompts), latents);
        var b = _network.RewardMatrix(RewardInputs.Of(PairTensors.ToTensor(candidates.RejectedVectors, [n, d], Device), prompts), latents);
        var p = (a - b).sigmoid().clamp(ScalarCache.Of(1e-6), ScalarCache.Of(1 - 1e-6));
        var entropyOfMean = Entropy(p.mean([1]));
        var meanEntropy = Entropy(p).mean([1]);
        var information = (entropyOfMean - meanEntropy).clamp_min(ScalarCache.Of(0)).to_type(ScalarType.Float64).cpu().contiguous();
        information.data<double>().CopyTo(scores);
    }

    private static Tensor Entropy(Tensor p)
    {
        var q = p.SubtractedFrom(1);
        return (p * p.log()).Plus(q * q.log()).neg();
    }
}
