namespace Pluralistic;

/// <summary>
/// The root of the SDK's catalog-style API (as ML.NET's <c>MLContext</c>): one <see cref="RuntimeOptions"/> (seed,
/// device and threads) shared by everything created from it. Each assembly extends the catalogs: <c>context.Models.Pal(...)</c>,
/// <c>context.Data.LoadJsonlAsync(...)</c>, <c>context.Evaluation.EvaluateAsync(...)</c>.
/// </summary>
public sealed class PluralisticContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="seed">The seed of every random choice made by trainers created from this context.</param>
    /// <param name="device">Device for TorchSharp work: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</param>
    /// <param name="threads">libtorch intra-op threads; 0 keeps libtorch's default.</param>
    public PluralisticContext(int seed = 0, string device = "auto", int threads = 0)
        : this(new RuntimeOptions { Seed = seed, Device = device, Threads = threads })
    {
    }

    /// <summary>Creates a context from runtime options.</summary>
    /// <param name="runtime">The seed, device and threads (copied).</param>
    public PluralisticContext(RuntimeOptions runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        runtime.Validate();
        Runtime = runtime.Clone();
        Models = new ModelCatalog(this);
        Data = new DataCatalog(this);
        Evaluation = new EvaluationCatalog(this);
    }

    /// <summary>The seed, device and threads of everything created from this context (a copy; do not change it).</summary>
    public RuntimeOptions Runtime { get; }

    /// <summary>The seed.</summary>
    public int Seed => Runtime.Seed;

    /// <summary>The device name.</summary>
    public string Device => Runtime.Device;

    /// <summary>libtorch intra-op threads (0: default).</summary>
    public int Threads => Runtime.Threads;

    /// <summary>Trainers of per-user reward models.</summary>
    public ModelCatalog Models { get; }

    /// <summary>Loading, writing and generating preference data.</summary>
    public DataCatalog Data { get; }

    /// <summary>Metrics and evaluation.</summary>
    public EvaluationCatalog Evaluation { get; }
}

/// <summary>Trainers; each method's assembly adds an extension method (<c>BradleyTerry</c>, <c>Pal</c>, ...).</summary>
/// <param name="context">The owning context.</param>
public sealed class ModelCatalog(PluralisticContext context)
{
    /// <summary>The owning context.</summary>
    public PluralisticContext Context { get; } = context;
}

/// <summary>Data operations; extended by <c>Pluralistic.Data</c>.</summary>
/// <param name="context">The owning context.</param>
public sealed class DataCatalog(PluralisticContext context)
{
    /// <summary>The owning context.</summary>
    public PluralisticContext Context { get; } = context;
}

/// <summary>Evaluation; extended by <c>Pluralistic.Evaluation</c>.</summary>
/// <param name="context">The owning context.</param>
public sealed class EvaluationCatalog(PluralisticContext context)
{
    /// <summary>The owning context.</summary>
    public PluralisticContext Context { get; } = context;
}
