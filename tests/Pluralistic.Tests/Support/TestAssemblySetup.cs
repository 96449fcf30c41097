using System.Runtime.CompilerServices;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Support;

/// <summary>Process-wide settings for the test run.</summary>
internal static class TestAssemblySetup
{
    /// <summary>
    /// xunit runs test classes in parallel, each training small models; libtorch's own intra-op threads on top of that
    /// oversubscribe the cores (training ran many times slower), so tests use one libtorch thread each.
    /// </summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly sets up its own process.")]
    internal static void UseOneLibtorchThread() => TorchRuntime.SetThreads(1);
}
