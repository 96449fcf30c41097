using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pluralistic;

/// <summary>
/// Publishes the inner model's work through <see cref="System.Diagnostics.Metrics"/> (meter <see cref="MeterName"/>):
/// rewards scored, pairs scored, users adapted, and the duration of each operation, tagged with the model kind and,
/// on failure, the error type. Observe it with dotnet-counters, OpenTelemetry or a <c>MeterListener</c>.
/// </summary>
public sealed class MetricsUserRewardModel : DelegatingUserRewardModel
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Pluralistic";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _rewards;
    private readonly Counter<long> _pairs;
    private readonly Counter<long> _adaptedUsers;
    private readonly Histogram<double> _duration;

    /// <summary>Wraps <paramref name="innerModel"/>.</summary>
    /// <param name="innerModel">The model.</param>
    /// <param name="meterFactory">Creates the meter (from dependency injection); <see langword="null"/> creates a standalone meter.</param>
    public MetricsUserRewardModel(IUserRewardModel innerModel, IMeterFactory? meterFactory = null)
        : base(innerModel)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _ownsMeter = meterFactory is null;
        _rewards = _meter.CreateCounter<long>("pluralistic.rewards.scored", unit: "{reward}", description: "Rewards computed (responses x users).");
        _pairs = _meter.CreateCounter<long>("pluralistic.pairs.scored", unit: "{pair}", description: "Labelled pairs scored.");
        _adaptedUsers = _meter.CreateCounter<long>("pluralistic.users.adapted", unit: "{user}", description: "User states learned or refined.");
        _duration = _meter.CreateHistogram<double>("pluralistic.operation.duration", unit: "s", description: "Duration of reward model operations.");
    }

    /// <inheritdoc />
    public override async Task<RewardMatrix> ScoreAsync(IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await MeasureAsync("score", () => base.ScoreAsync(users, responses, options, cancellationToken)).ConfigureAwait(false);
        _rewards.Add((long)result.ResponseCount * result.Users.Count, Kind());
        return result;
    }

    /// <inheritdoc />
    public override async Task<PairPredictions> ScorePairsAsync(PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await MeasureAsync("score_pairs", () => base.ScorePairsAsync(pairs, options, cancellationToken)).ConfigureAwait(false);
        _pairs.Add(result.Count, Kind());
        return result;
    }

    /// <inheritdoc />
    public override async Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await MeasureAsync("adapt", () => base.AdaptAsync(pairs, options, cancellationToken)).ConfigureAwait(false);
        _adaptedUsers.Add(result.Users.Count, Kind());
        return result;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsMeter)
        {
            _meter.Dispose();
        }

        base.Dispose(disposing);
    }

    private KeyValuePair<string, object?> Kind() => new("pluralistic.model.kind", Metadata.Kind);

    private async Task<T> MeasureAsync<T>(string operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex.GetType().Name;
            throw;
        }
        finally
        {
            var tags = new TagList { Kind(), { "pluralistic.operation", operation } };
            if (error is not null)
            {
                tags.Add("error.type", error);
            }

            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }
}
