using System.Reflection;
using Pluralistic.Tests.Support;
using Pluralistic.Torch;

namespace Pluralistic.Tests.Torch;

public class TorchSharpScalarTests
{
    public static TheoryData<string> SdkAssemblies() =>
    [
        "Pluralistic.Abstractions", "Pluralistic.Data", "Pluralistic.Torch", "Pluralistic.Models", "Pluralistic.Evaluation",
        "Pluralistic.Text", "Pluralistic.Text.MiniLM", "Pluralistic.Storage.LiteDb", "Pluralistic", "Pluralistic.Cli",
    ];

    [Theory]
    [MemberData(nameof(SdkAssemblies))]
    public void No_SDK_code_hands_libtorch_a_temporary_scalar(string assemblyName)
    {
        var found = ScalarUse.TemporaryScalars(Assembly.Load(assemblyName), typeof(ScalarCache));

        Assert.True(found.Count == 0, $"{found.Count} temporary Scalars (use ScalarCache or TensorArithmetic):\n" + string.Join('\n', found));
    }

    [Fact]
    public void The_scan_finds_the_temporaries_it_is_meant_to_find()
    {
        var found = ScalarUse.TemporaryScalars(typeof(Offenders).Assembly).Where(f => f.Contains(nameof(Offenders), StringComparison.Ordinal)).ToList();

        Assert.Contains(found, f => f.Contains(".Sum ->", StringComparison.Ordinal) && f.Contains("op_Addition", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains(".Half ->", StringComparison.Ordinal) && f.Contains("op_Implicit", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains(".Leaky ->", StringComparison.Ordinal) && f.Contains("LeakyReLU", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains(".Optimizer ->", StringComparison.Ordinal) && f.Contains("AdamW", StringComparison.Ordinal));
        Assert.DoesNotContain(found, f => f.Contains(".Safe ->", StringComparison.Ordinal));
    }

    /// <summary>Code written the ways the scan must catch, and one way it must accept.</summary>
    private static class Offenders
    {
        public static TorchSharp.torch.Tensor Sum(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) => a + b;

        public static TorchSharp.torch.Tensor Half(TorchSharp.torch.Tensor a) => a.mul(0.5);

        public static TorchSharp.Modules.LeakyReLU Leaky() => TorchSharp.torch.nn.LeakyReLU(0.1);

        public static TorchSharp.Modules.AdamW Optimizer(TorchSharp.Modules.Parameter p) => TorchSharp.torch.optim.AdamW([p]);

        public static TorchSharp.torch.Tensor Safe(TorchSharp.torch.Tensor a, double factor)
        {
            using var scalar = TorchSharp.ScalarExtensionMethods.ToScalar(factor);
            return a.mul(scalar).add(a, ScalarCache.Of(1L));
        }
    }
}
