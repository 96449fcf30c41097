using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Vpl;

/// <summary>
/// VPL's episodic objective. Each step samples users (<see cref="RewardTrainerOptions.BatchSize"/> of them), a
/// context of <see cref="EpisodicTrainerOptions.MinContextPairs"/>..<see cref="EpisodicTrainerOptions.MaxContextPairs"/> of a user's
/// training pairs and queries from the rest; the posterior is inferred from the context, a reparameterised latent
/// scores the queries, and the loss is the weighted Bradley-Terry likelihood of the queries plus beta (cyclically
/// annealed) times the KL to the prior. Because a query never appears in its own context, the loss can only fall
/// below the population's by reading the context. Validation scores each user's held-out pairs with the posterior
/// mean inferred from the user's training pairs (the way seen users are scored), without the KL term.
/// </summary>
internal sealed class VplObjective : TrainingObjective, IDisposable
{
    private const int ValidationUsersPerBatch = 256;

    private readonly VplNetwork _network;
    private readonly VplOptions _options;
    private readonly PairTensors _records;
    private readonly UserEpisodeSampler _sampler;
    private readonly List<ValidationBatch> _validation = [];
    private readonly Generator _noise;
    private int _epoch;

    public VplObjective(VplNetwork network, TrainingSession session, VplOptions options)
    {
        _network = network;
        _options = options;

        // Posterior samples come from the objective's own generator: libtorch's global one is shared by every
        // training in the process, so concurrent trainings would otherwise draw each other's noise.
        _noise = new Generator((ulong)session.Seed, session.Device);

        // Every record in record order, so episodes gather by record index.
        _records = new PairTensors(session.Data, session.Device);
        _sampler = new UserEpisodeSampler(session.Data, session.TrainRecords, options.MinContextPairs, options.MaxContextPairs, options.QueriesPerEpisode);
        var queriesPerStep = (long)options.BatchSize * options.QueriesPerEpisode;
        StepsPerEpoch = (int)Math.Max(1, (session.TrainRecords.Length + queriesPerStep - 1) / queriesPerStep);
        BuildValidation(session, options.EvidenceCapacity);
    }

    public override nn.Module Module => _network;

    public override int StepsPerEpoch { get; }

    public override bool HasValidation => _validation.Count > 0;

    /// <summary>The users that episodes are drawn from.</summary>
    public int EpisodeUsers => _sampler.UserCount;

    public override void BeginEpoch(int epoch, Random random) => _epoch = epoch;

    public override Tensor Loss(int step, Random random)
    {
        var episodes = _sampler.Sample(_options.BatchSize, random);
        var b = episodes.Users;
        var device = _records.Device;

        // Per episode: scored with the prior's latent (prior dropout), or mirrored (every label flipped).
        var keep = new float[b];
        var sign = new float[b];
        for (var i = 0; i < b; i++)
        {
            var dropped = _options.PriorDropout > 0 && random.NextDouble() < _options.PriorDropout;
            keep[i] = dropped ? 0 : 1;
            sign[i] = !dropped && _options.MirroredUsers > 0 && random.NextDouble() < _options.MirroredUsers ? -1 : 1;
        }

        var signs = tensor(sign, [b, 1], ScalarType.Float32, device);
        var flipped = signs.lt(ScalarCache.Of(0L)).unsqueeze(-1);
        var context = _records.Gather(tensor(episodes.Context, dtype: ScalarType.Int64, device: device));
        var contextChosen = Sets(context.Chosen, b);
        var contextRejected = Sets(context.Rejected, b);
        var contextMask = tensor(episodes.ContextMask, [b, episodes.ContextWidth], ScalarType.Float32, device);
        var (readChosen, readRejected) = (where(flipped, contextRejected, contextChosen), where(flipped, contextChosen, contextRejected));
        var contextPrompts = context.Prompts is null ? null : Sets(context.Prompts, b);
        var (mean, logVariance) = _network.Posterior(readChosen, readRejected, contextPrompts, contextMask);
        var adapted = _network.AdaptMean(mean, logVariance, readChosen, readRejected, contextPrompts, contextMask, differentiable: true);
        var noise = randn(mean.shape, ScalarType.Float32, device, generator: _noise);
        var latent = _network.Latent(adapted, logVariance, noise) * tensor(keep, [b, 1], ScalarType.Float32, device);

        var queries = _records.Gather(tensor(episodes.Query, dtype: ScalarType.Int64, device: device));
        var queryWeights = tensor(episodes.QueryMask, [b, episodes.QueryWidth], ScalarType.Float32, device) * queries.Weights.view(b, -1);
        var margins = Margins(queries, latent, b) * signs;
        var likelihood = ((-margins).Softplus() * queryWeights).sum() / queryWeights.sum().clamp_min(ScalarCache.Of(1e-12));
        var beta = BetaAt((_epoch * StepsPerEpoch) + step);
        return beta > 0 ? likelihood.Plus(VplNetwork.KlToPrior(mean, logVariance).mean().Times(beta)) : likelihood;
    }

    public override ValidationResult Validate()
    {
        double lossSum = 0, weightSum = 0, correct = 0, count = 0;
        foreach (var batch in _validation)
        {
            using var scope = NewDisposeScope();
            var device = _records.Device;
            var b = batch.Users;
            var context = _records.Gather(tensor(batch.Context, dtype: ScalarType.Int64, device: device));
            var (chosen, rejected, prompts) = (Sets(context.Chosen, b), Sets(context.Rejected, b), context.Prompts is null ? null : Sets(context.Prompts, b));
            var contextMask = tensor(batch.ContextMask, [b, batch.ContextWidth], ScalarType.Float32, device);
            var (mean, logVariance) = _network.Posterior(chosen, rejected, prompts, contextMask);
            var latent = _network.Latent(_network.AdaptMean(mean, logVariance, chosen, rejected, prompts, contextMask, differentiable: false), logVariance, null);
            var queries = _records.Gather(tensor(batch.Query, dtype: ScalarType.Int64, device: device));
            var mask = tensor(batch.QueryMask, [b, batch.QueryWidth], ScalarType.Float32, device);
            var weights = mask * queries.Weights.view(b, -1);
            var margin = Margins(queries, latent, b);
            lossSum += ((-margin).Softplus() * weights).sum().item<float>();
            weightSum += weights.sum().item<float>();
            correct += (margin.gt(ScalarCache.Of(0L)).to_type(ScalarType.Float32) * mask).sum().item<float>();
            count += mask.sum().item<float>();
        }

        return new ValidationResult(lossSum / Math.Max(weightSum, 1e-12), correct / Math.Max(count, 1));
    }

    /// <summary>beta at a global step: constant, or ramped up from 0 in each of the annealing cycles.</summary>
    /// <param name="globalStep">0-based step over all epochs.</param>
    /// <returns>The KL weight.</returns>
    public double BetaAt(int globalStep)
    {
        if (_options.KlAnnealingCycles == 0)
        {
            return _options.Beta;
        }

        var total = (double)_options.Epochs * StepsPerEpoch;
        var cycle = Math.Max(total / _options.KlAnnealingCycles, 1);
        var position = (globalStep % cycle) / cycle;
        return _options.Beta * Math.Min(1, position / _options.KlAnnealingRampFraction);
    }

    public void Dispose()
    {
        _records.Dispose();
        _noise.Dispose();
    }

    /// <summary>r(chosen | z) - r(rejected | z) for [B, Q] queries, z per episode [B, latent].</summary>
    private Tensor Margins(PairBatch queries, Tensor latent, int b)
    {
        var latents = latent.unsqueeze(1);
        var prompts = queries.Prompts is null ? null : Sets(queries.Prompts, b);
        return _network.Margins(Sets(queries.Chosen, b), Sets(queries.Rejected, b), prompts, latents);
    }

    private static Tensor Sets(Tensor rows, int b) => rows.view(b, -1, rows.shape[^1]);

    /// <summary>
    /// Validation episodes: every user with held-out pairs, the context being the user's most recent training pairs
    /// (as many as a stored state retains), the queries the held-out pairs.
    /// </summary>
    private void BuildValidation(TrainingSession session, int evidenceCapacity)
    {
        if (session.ValidationRecords.Length == 0)
        {
            return;
        }

        var userIndex = session.Data.UserIndices.Span;
        var train = new Dictionary<int, List<int>>();
        foreach (var r in session.TrainRecords.Order())
        {
            (train.TryGetValue(userIndex[r], out var list) ? list : train[userIndex[r]] = []).Add(r);
        }

        var held = new Dictionary<int, List<int>>();
        foreach (var r in session.ValidationRecords)
        {
            (held.TryGetValue(userIndex[r], out var list) ? list : held[userIndex[r]] = []).Add(r);
        }

        var cap = evidenceCapacity > 0 ? Math.Min(evidenceCapacity, VplInference.MaxPairsPerUser) : VplInference.MaxPairsPerUser;
        var users = held.Keys.Where(train.ContainsKey).Order().ToList();
        for (var start = 0; start < users.Count; start += ValidationUsersPerBatch)
        {
            var chunk = users.Skip(start).Take(ValidationUsersPerBatch).ToList();
            var contexts = chunk.Select(u => train[u].TakeLast(cap).ToArray()).ToList();
            var queries = chunk.Select(u => held[u].ToArray()).ToList();
            _validation.Add(ValidationBatch.Create(contexts, queries));
        }
    }

    /// <summary>Padded validation episodes (padding repeats a real record; masks zero it out).</summary>
    private sealed record ValidationBatch(int Users, int ContextWidth, int QueryWidth, long[] Context, float[] ContextMask, long[] Query, float[] QueryMask)
    {
        public static ValidationBatch Create(List<int[]> contexts, List<int[]> queries)
        {
            var b = contexts.Count;
            var cw = contexts.Max(c => c.Length);
            var qw = queries.Max(q => q.Length);
            var (context, contextMask) = Pad(contexts, cw);
            var (query, queryMask) = Pad(queries, qw);
            return new ValidationBatch(b, cw, qw, context, contextMask, query, queryMask);
        }

        private static (long[] Index, float[] Mask) Pad(List<int[]> rows, int width)
        {
            var index = new long[rows.Count * width];
            var mask = new float[rows.Count * width];
            for (var i = 0; i < rows.Count; i++)
            {
                for (var j = 0; j < width; j++)
                {
                    var real = j < rows[i].Length;
                    index[(i * width) + j] = rows[i][real ? j : 0];
                    mask[(i * width) + j] = real ? 1 : 0;
                }
            }

            return (index, mask);
        }
    }
}
