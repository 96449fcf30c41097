using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pluralistic.Text;

namespace Pluralistic.Tests.Hosting;

public class DependencyInjectionTests(TextRunFixture fixture) : IClassFixture<TextRunFixture>
{
    private static readonly string[] Candidates =
    [
        "Sure! A cat is the best choice: calm, independent, happy indoors and easy to care for. Enjoy!",
        "Ugh. figure it out yourself.",
        "Happy to help. Get a dog: loyal, playful and a great reason for daily walks outside. Good luck!",
    ];

    [Fact]
    public async Task A_run_registered_by_directory_ranks_text_for_a_user()
    {
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddUserRewardModel(fixture.CopyRun("di-rank"), o => o.ReadOnly = true).UseLogging().UseUserStateCache();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var model = provider.GetRequiredService<IUserRewardModel>();
        var user = fixture.Population.SeenUsers[0];
        var ranked = await model.RankAsync(user, "Which pet should I get?", Candidates);
        Assert.Equal(3, ranked.Count);
        Assert.NotEqual(1, ranked[0].Index); // the rude reply never wins
        Assert.Equal(1, ranked[^1].Index);
        Assert.Equal(ranked[0], await model.BestOfNAsync(user, "Which pet should I get?", Candidates));
    }

    [Fact]
    public void A_missing_run_fails_when_the_host_starts_not_later()
    {
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddUserRewardModel(Path.Combine(fixture.Root, "no-such-run"));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("is not a run directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_settings_fail_validation()
    {
        using var provider = new ServiceCollection().AddPluralistic(o => o.Threads = -1).BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Fact]
    public async Task Keyed_models_run_side_by_side()
    {
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddKeyedUserRewardModel("first", fixture.CopyRun("keyed-1"), o => o.ReadOnly = true);
        services.AddKeyedUserRewardModel("second", fixture.CopyRun("keyed-2"), o => o.ReadOnly = true).UseMetrics();
        using var provider = services.BuildServiceProvider();
        var first = provider.GetRequiredKeyedService<IUserRewardModel>("first");
        var second = provider.GetRequiredKeyedService<IUserRewardModel>("second");
        Assert.NotSame(first, second);
        Assert.IsType<MetricsUserRewardModel>(second);
        var user = fixture.Population.SeenUsers[1];
        Assert.Equal(
            (await first.RankAsync(user, "Which pet should I get?", Candidates)).Select(c => c.Index),
            (await second.RankAsync(user, "Which pet should I get?", Candidates)).Select(c => c.Index));
    }

    [Fact]
    public void The_first_layer_added_is_the_outermost()
    {
        var calls = new List<string>();
        var builder = new UserRewardModelBuilder(new StubModel())
            .Use(inner => new NamedLayer(inner, "outer", calls))
            .Use(inner => new NamedLayer(inner, "inner", calls));
        var model = builder.Build();
        _ = model.Metadata;
        Assert.Equal(["outer", "inner"], calls);
    }

    [Fact]
    public async Task Metrics_count_rewards_and_time_operations()
    {
        var measurements = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MetricsUserRewardModel.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => measurements.Add((i.Name, v)));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => measurements.Add((i.Name, v)));
        listener.Start();

        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddUserRewardModel(fixture.CopyRun("metrics"), o => o.ReadOnly = true).UseMetrics();
        using var provider = services.BuildServiceProvider();
        var model = provider.GetRequiredService<IUserRewardModel>();
        await model.RankAsync(fixture.Population.SeenUsers[2], "Which pet should I get?", Candidates);

        Assert.Contains(("pluralistic.rewards.scored", 3.0), measurements);
        Assert.Contains(measurements, m => m.Instrument == "pluralistic.operation.duration" && m.Value > 0);
    }

    [Fact]
    public async Task Logging_reports_calls_without_contents()
    {
        var logs = new List<string>();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new ListLoggerProvider(logs)));
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu").AddSingleton(loggerFactory);
        services.AddUserRewardModel(fixture.CopyRun("logging"), o => o.ReadOnly = true).UseLogging();
        using var provider = services.BuildServiceProvider();
        var model = provider.GetRequiredService<IUserRewardModel>();
        await model.RankAsync(fixture.Population.SeenUsers[3], "Which pet should I get?", Candidates);
        await Assert.ThrowsAsync<UnknownUserException>(() => model.RankAsync(new UserId("stranger"), "Which pet should I get?", Candidates));

        Assert.Contains(logs, l => l.Contains("ScoreAsync (1 users x 3 responses) completed", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains("cat", StringComparison.OrdinalIgnoreCase));
    }

    public static TheoryData<string> LayerOrders => new() { "cache,count", "count,cache", "logging,cache,count,metrics", "cache,logging,metrics,count" };

    [Theory]
    [MemberData(nameof(LayerOrders))]
    public async Task Every_layer_sees_every_call_wherever_the_user_state_cache_is_added(string order)
    {
        var counted = new List<int>();
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        var builder = services.AddUserRewardModel(fixture.CopyRun($"order-{order.Replace(',', '-')}"), o => o.ReadOnly = true);
        foreach (var layer in order.Split(','))
        {
            _ = layer switch
            {
                "cache" => builder.UseUserStateCache(),
                "logging" => builder.UseLogging(),
                "metrics" => builder.UseMetrics(),
                _ => builder.Use(inner => new CountingLayer(inner, counted)),
            };
        }

        using var provider = services.BuildServiceProvider();
        var model = provider.GetRequiredService<IUserRewardModel>();
        var user = fixture.Population.SeenUsers[4];
        var first = await model.RankAsync(user, "Which pet should I get?", Candidates);
        var second = await model.RankAsync(user, "Which pet should I get?", Candidates);

        Assert.Equal([3, 3], counted);
        Assert.Equal(first, second);
        Assert.IsType<CachingUserStateStore>(model.GetRequiredService<IUserStateStore>());
    }

    [Fact]
    public void The_runtimes_thread_setting_applies_to_a_model_the_container_opens()
    {
        var before = TorchSharp.torch.get_num_threads();
        try
        {
            Pluralistic.Torch.TorchRuntime.SetThreads(2);
            var services = new ServiceCollection().AddPluralistic(o =>
            {
                o.Device = "cpu";
                o.Threads = 1;
            });
            services.AddUserRewardModel(fixture.CopyRun("threads"), o => o.ReadOnly = true);
            using var provider = services.BuildServiceProvider();
            _ = provider.GetRequiredService<IUserRewardModel>();
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }

    private sealed class CountingLayer(IUserRewardModel inner, List<int> responsesScored) : DelegatingUserRewardModel(inner)
    {
        public override Task<RewardMatrix> ScoreAsync(IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default)
        {
            responsesScored.Add(responses.Count);
            return base.ScoreAsync(users, responses, options, cancellationToken);
        }
    }

    private sealed class NamedLayer(IUserRewardModel inner, string name, List<string> calls) : DelegatingUserRewardModel(inner)
    {
        public override RewardModelMetadata Metadata
        {
            get
            {
                calls.Add(name);
                return base.Metadata;
            }
        }
    }

    private sealed class StubModel : IUserRewardModel
    {
        public RewardModelMetadata Metadata { get; } = new() { Kind = "stub", ResponseDimension = 1, Fingerprint = "0" };

        public Task<RewardMatrix> ScoreAsync(IReadOnlyList<UserId> users, ResponseBatch responses, ScoringOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<PairPredictions> ScorePairsAsync(PreferenceDataset pairs, ScoringOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<AdaptationResult> AdaptAsync(PreferenceDataset pairs, AdaptationOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class ListLoggerProvider(List<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(logs);

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<string> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (logs)
                {
                    logs.Add($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
