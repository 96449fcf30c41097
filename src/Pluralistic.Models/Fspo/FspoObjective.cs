using Pluralistic.Torch;
using static TorchSharp.torch;

namespace Pluralistic.Models.Fspo;

/// <summary>
/// FSPO's episodic meta-training. Each step samples <see cref="RewardTrainerOptions.BatchSize"/> users; each user's
/// training pairs are shuffled and split into a context of <see cref="EpisodicTrainerOptions.MinContextPairs"/>..
/// <see cref="EpisodicTrainerOptions.MaxContextPairs"/> pairs (emptied with <see cref="FspoOptions.EmptyContextProbability"/>)
/// and queries from the rest; some episodes are mirrored users (context and query labels flipped together). The
/// loss is the weighted Bradley-Terry loss of the queries given the context's summary — a query is never in its
/// own context, so the loss falls below the population's only by reading the context.
/// </summary>
/// <remarks>
/// Validation scores each user's held-out pairs given the summary of the user's most recent training pairs (as many
/// as a stored state retains): the way a seen user is scored after training.
/// </remarks>
internal sealed class FspoObjective : TrainingObjective, IDisposable
{
    private const int ValidationUsersPerBatch = 256;

    private readonly FspoNetwork _network;
    private readonly FspoOptions _options;
    private readonly PairTensors _records;
    private readonly UserEpisodeSampler _sampler;
    private readonly IReadOnlyList<EpisodeBatch> _validation;

    public FspoObjective(FspoNetwork network, TrainingSession session, FspoOptions options)
    {
        _network = network;
        _options = options;

        // Every record in record order, so episodes gather by record index.
        _records = new PairTensors(session.Data, session.Device);
        _sampler = new UserEpisodeSampler(session.Data, session.TrainRecords, options.MinContextPairs, options.MaxContextPairs, options.QueriesPerEpisode);
        if (_sampler.UserCount == 0)
        {
            throw new EmptyContextException(
                $"FSPO trains on episodes of at least {options.MinContextPairs} context pair(s) and one query per user; no user has {options.MinContextPairs + 1} training pairs");
        }

        var queriesPerStep = (long)options.BatchSize * options.QueriesPerEpisode;
        StepsPerEpoch = (int)Math.Max(1, (session.TrainRecords.Length + queriesPerStep - 1) / queriesPerStep);
        _validation = UserEpisodeSampler.HeldOut(
            session.Data, session.TrainRecords, session.ValidationRecords, FspoTrainer.EncodedPairs(options), ValidationUsersPerBatch);
    }

    public override nn.Module Module => _network;

    public override int StepsPerEpoch { get; }

    public override bool HasValidation => _validation.Count > 0;

    /// <summary>The users episodes are drawn from.</summary>
    public int EpisodeUsers => _sampler.UserCount;

    public override Tensor Loss(int step, Random random)
    {
        var episodes = _sampler.Sample(_options.BatchSize, random);
        var mirror = new bool[episodes.Users];
        for (var i = 0; i < episodes.Users; i++)
        {
            if (_options.EmptyContextProbability > 0 && random.NextDouble() < _options.EmptyContextProbability)
            {
                Array.Clear(episodes.ContextMask, i * episodes.ContextWidth, episodes.ContextWidth);
            }

            mirror[i] = _options.MirroredUsers > 0 && random.NextDouble() < _options.MirroredUsers;
        }

        var sets = _records.GatherEpisodes(episodes).Mirrored(mirror);
        var margins = Margins(sets, differentiable: true);
        return ((-margins).Softplus() * sets.QueryWeights).sum() / sets.QueryWeights.sum().clamp_min(ScalarCache.Of(1e-12));
    }

    public override ValidationResult Validate()
    {
        double lossSum = 0, weightSum = 0, correct = 0, count = 0;
        foreach (var batch in _validation)
        {
            using var scope = NewDisposeScope();
            var sets = _records.GatherEpisodes(batch);
            var margins = Margins(sets, differentiable: false);
            lossSum += ((-margins).Softplus() * sets.QueryWeights).sum().item<float>();
            weightSum += sets.QueryWeights.sum().item<float>();
            correct += (margins.gt(ScalarCache.Of(0L)).to_type(ScalarType.Float32) * sets.QueryMask).sum().item<float>();
            count += sets.QueryMask.sum().item<float>();
        }

        return new ValidationResult(lossSum / Math.Max(weightSum, 1e-12), correct / Math.Max(count, 1));
    }

    public void Dispose() => _records.Dispose();

    /// <summary>r(chosen | s) - r(rejected | s) of every query [B, Q], s the summary of the episode's context.</summary>
    private Tensor Margins(EpisodeSets sets, bool differentiable)
    {
        var encoded = _network.Summarize(sets.ContextChosen, sets.ContextRejected, sets.ContextPrompts, sets.ContextMask);
        var summary = _network.Adapt(encoded, sets.ContextChosen, sets.ContextRejected, sets.ContextPrompts, sets.ContextMask, differentiable).unsqueeze(1);
        return _network.Margins(sets.QueryChosen, sets.QueryRejected, sets.QueryPrompts, summary);
    }
}
