using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Pluralistic;

/// <summary>
/// Logs every call of the inner model: what was asked (users, responses, pairs) and how long it took at debug
/// level, failures at error level, cancellations at debug level. Never logs vectors or texts.
/// </summary>
public sealed partial class LoggingUserRewardModel : DelegatingUserRewardModel
{
    private readonly ILogger _logger;

    /// <summary>Wraps <paramref name="innerModel"/>.</summary>
    /// <param name="innerModel">The model.</param>
    /// <param name="logger">The logger.</param>
    public LoggingUserRewardModel(IUserRewardModel innerModel, ILogger logger)
        : base(innerModel)
    {
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc />
    public override Task<RewardMatrix> ScoreAsync(IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default) =>
        LogAsync(nameof(ScoreAsync), $"{users?.Count} users x {responses?.Count} responses", () => base.ScoreAsync(users!, responses!, options, cancellationToken));

    /// <inheritdoc />
    public override Task<PairPredictions> ScorePairsAsync(PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default) =>
        LogAsync(nameof(ScorePairsAsync), $"{pairs?.Count} pairs of {pairs?.Users.Count} users", () => base.ScorePairsAsync(pairs!, options, cancellationToken));

    /// <inheritdoc />
    public override Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default) =>
        LogAsync(nameof(AdaptAsync), $"{pairs?.Count} pairs of {pairs?.Users.Count} users", () => base.AdaptAsync(pairs!, options, cancellationToken));

    private async Task<T> LogAsync<T>(string operation, string what, Func<Task<T>> call)
    {
        var kind = Metadata.Kind;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var result = await call().ConfigureAwait(false);
            LogCompleted(kind, operation, what, stopwatch.Elapsed.TotalMilliseconds);
            return result;
        }
        catch (OperationCanceledException)
        {
            LogCanceled(kind, operation, what);
            throw;
        }
        catch (Exception ex)
        {
            LogFailed(ex, kind, operation, what);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {Operation} ({What}) completed in {Milliseconds:F2} ms")]
    private partial void LogCompleted(string kind, string operation, string what, double milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {Operation} ({What}) canceled")]
    private partial void LogCanceled(string kind, string operation, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} {Operation} ({What}) failed")]
    private partial void LogFailed(Exception exception, string kind, string operation, string what);
}
