using System.Runtime.CompilerServices;
using Pluralistic.Torch;

// Test classes run one at a time. TorchSharp 0.107 frees the Scalar it creates for every implicit number argument
// (x.mul(0.5), x + 1, and all through its own AdamW) in a finalizer, and the JIT lets that Scalar die while libtorch
// is still reading it; a GC that another thread triggers in that window makes libtorch read freed memory ("Unknown
// scalar type", wrong numbers). Parallel test classes made that happen in about one run in five; serially the only
// managed work is on the test's own thread. See docs/architecture.md ("Threads and TorchSharp's Scalars").
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Pluralistic.Tests.Support;

/// <summary>Process-wide settings for the test run.</summary>
internal static class TestAssemblySetup
{
    /// <summary>
    /// Tests train many tiny models, for which libtorch's intra-op threads cost more than they save; one thread also
    /// keeps results independent of the machine's core count.
    /// </summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly sets up its own process.")]
    internal static void UseOneLibtorchThread() => TorchRuntime.SetThreads(1);
}
