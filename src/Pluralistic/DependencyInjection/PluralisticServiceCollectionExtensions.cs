using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pluralistic.Models;
using Pluralistic.Runs;
using Pluralistic.Torch;

namespace Pluralistic;

/// <summary>Registers Pluralistic in an application's service container (Microsoft.Extensions.DependencyInjection).</summary>
public static class PluralisticServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SDK's runtime (seed, device, threads; validated when the host starts), a
    /// <see cref="PluralisticContext"/> built from it and the model kinds runs are opened with (the built-in ones plus
    /// any added with <see cref="AddRewardModelKind"/>). The runtime applies wherever the container creates a model.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the runtime.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPluralistic(this IServiceCollection services, Action<RuntimeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<RuntimeOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .Validate(o => o.Threads >= 0, "Pluralistic: Threads must be 0 (libtorch's default) or more")
            .Validate(o => DeviceIsUsable(o.Device), "Pluralistic: Device must be cpu, cuda, cuda:N or auto, and CUDA must be available when asked for")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new PluralisticContext(ApplyRuntime(sp)));
        TryAddKindRegistry(services);
        return services;
    }

    /// <summary>
    /// Adds a model kind of the application's own beside the built-in ones, so runs of that kind open through the
    /// container (the <see cref="RewardModelKindRegistry"/> it resolves includes it).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="kind">The kind.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddRewardModelKind(this IServiceCollection services, RewardModelKind kind)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(kind);
        services.AddSingleton(kind);
        TryAddKindRegistry(services);
        return services;
    }

    private static void TryAddKindRegistry(IServiceCollection services) =>
        services.TryAddSingleton(sp => sp.GetServices<RewardModelKind>().Aggregate(RewardModelKinds.BuiltIn, (registry, kind) => registry.With(kind)));

    /// <summary>Registers a reward model (singleton) built by <paramref name="innerFactory"/>; add middleware on the returned builder.</summary>
    /// <param name="services">The services.</param>
    /// <param name="innerFactory">Creates the innermost model.</param>
    /// <returns>The builder of the model's pipeline.</returns>
    public static UserRewardModelBuilder AddUserRewardModel(this IServiceCollection services, Func<IServiceProvider, IUserRewardModel> innerFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new UserRewardModelBuilder(WithRuntime(innerFactory));
        services.AddSingleton(sp => builder.Build(sp));
        return builder;
    }

    /// <summary>
    /// Registers the model of a run directory (singleton), opened with <see cref="Run"/>: read-only unless
    /// <see cref="RunModelOptions.ReadOnly"/> is set to false (an application that records feedback does). The run is
    /// checked when the host starts; the model is the run's <see cref="Run.TextModel"/>, with the text embedder it was
    /// trained with, if any (rebuilt and verified against the run's record, behind an in-memory cache), so the text
    /// convenience methods work. <c>GetService&lt;Run&gt;()</c> on the model gives the run (its manifest).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="configure">Configures how the run is opened.</param>
    /// <returns>The builder of the model's pipeline.</returns>
    public static UserRewardModelBuilder AddUserRewardModel(this IServiceCollection services, string runDirectory, Action<RunModelOptions>? configure = null) =>
        services.AddUserRewardModel(RegisterRun(services, Options.DefaultName, runDirectory, configure));

    /// <summary>Registers a keyed reward model (singleton), so several methods can run side by side.</summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The key (resolve with <c>[FromKeyedServices(key)]</c> or <c>GetRequiredKeyedService</c>).</param>
    /// <param name="innerFactory">Creates the innermost model.</param>
    /// <returns>The builder of the model's pipeline.</returns>
    public static UserRewardModelBuilder AddKeyedUserRewardModel(this IServiceCollection services, object? serviceKey, Func<IServiceProvider, IUserRewardModel> innerFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new UserRewardModelBuilder(WithRuntime(innerFactory));
        services.AddKeyedSingleton(serviceKey, (sp, _) => builder.Build(sp));
        return builder;
    }

    /// <summary>Registers the model of a run directory under a key.</summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The key.</param>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="configure">Configures how the run is opened.</param>
    /// <returns>The builder of the model's pipeline.</returns>
    public static UserRewardModelBuilder AddKeyedUserRewardModel(this IServiceCollection services, object serviceKey, string runDirectory, Action<RunModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        return services.AddKeyedUserRewardModel(serviceKey, RegisterRun(services, "pluralistic-run:" + serviceKey, runDirectory, configure));
    }

    private static Func<IServiceProvider, IUserRewardModel> RegisterRun(IServiceCollection services, string name, string runDirectory, Action<RunModelOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        services.AddOptions<RunModelOptions>(name)
            .Configure(o =>
            {
                o.RunDirectory = runDirectory;
                configure?.Invoke(o);
            })
            .Validate(o => File.Exists(Path.Combine(o.RunDirectory, Checkpoint.ManifestFile)), $"Pluralistic: '{runDirectory}' is not a run directory (no {Checkpoint.ManifestFile})")
            .Validate(o => o.EmbeddingCacheCapacity >= 0, "Pluralistic: EmbeddingCacheCapacity must be 0 (off) or more")
            .ValidateOnStart();
        return sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<RunModelOptions>>().Get(name);
            var run = Run.Open(options.RunDirectory, new RunOpenOptions
            {
                ReadOnly = options.ReadOnly,
                Device = options.Device ?? sp.GetService<IOptions<RuntimeOptions>>()?.Value.Device ?? "auto",
                Kinds = sp.GetService<RewardModelKindRegistry>() ?? RewardModelKinds.BuiltIn,
                EmbeddingCacheCapacity = options.EmbeddingCacheCapacity,
                UserStateStore = options.UserStateStore,
            });
            try
            {
                // The run's model with its own embedder; disposing it (the container does) disposes the run.
                return run.TextModel;
            }
            catch
            {
                run.Dispose();
                throw;
            }
        };
    }

    /// <summary>Applies the registered runtime's process-wide settings (threads) and returns it; the defaults without one.</summary>
    private static RuntimeOptions ApplyRuntime(IServiceProvider services)
    {
        var runtime = services.GetService<IOptions<RuntimeOptions>>()?.Value ?? new RuntimeOptions();
        TorchRuntime.SetThreads(runtime.Threads);
        return runtime;
    }

    /// <summary>A model factory that applies the runtime before it creates the model.</summary>
    private static Func<IServiceProvider, IUserRewardModel> WithRuntime(Func<IServiceProvider, IUserRewardModel> innerFactory)
    {
        ArgumentNullException.ThrowIfNull(innerFactory);
        return services =>
        {
            ApplyRuntime(services);
            return innerFactory(services);
        };
    }

    private static bool DeviceIsUsable(string? device)
    {
        try
        {
            TorchRuntime.ResolveDevice(device);
            return true;
        }
        catch (PluralisticException)
        {
            return false;
        }
    }
}
