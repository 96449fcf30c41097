using System.Reflection;

namespace Pluralistic.Tests.Architecture;

/// <summary>
/// Dependencies point inward and the serving stack stays lean: read from the compiled assemblies' references, so a
/// project reference added by mistake fails here rather than in a reward server's publish folder.
/// </summary>
public class DependencyDirectionTests
{
    public static TheoryData<string, string[]> Forbidden => new()
    {
        // The abstractions know nothing of TorchSharp, LiteDB, Npgsql or any framework.
        { "Pluralistic.Abstractions", ["TorchSharp", "LiteDB", "Npgsql", "Microsoft.ML", "ScottPlot", "Pluralistic.Torch", "Pluralistic.Data"] },
        // Methods carry no machine-learning framework besides TorchSharp, no storage and no evaluation.
        { "Pluralistic.Models", ["Microsoft.ML", "LiteDB", "ScottPlot", "Pluralistic.Evaluation"] },
        // The hosting layer (run directories, DI, middleware) carries no evaluation, plotting or experiment code.
        { "Pluralistic", ["Pluralistic.Evaluation", "Pluralistic.Experiments", "ScottPlot", "Microsoft.ML"] },
        { "RewardServer", ["Pluralistic.Evaluation", "Pluralistic.Experiments", "ScottPlot"] },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void An_assembly_does_not_reference_what_its_layer_must_not_know(string assembly, string[] forbidden)
    {
        var references = Assembly.Load(assembly).GetReferencedAssemblies().Select(r => r.Name!).ToList();
        Assert.NotEmpty(references);
        foreach (var name in forbidden)
        {
            // Microsoft.ML.Tokenizers is a text tokenizer, not the ML.NET framework.
            Assert.DoesNotContain(references, r => (r == name || r.StartsWith(name + ".", StringComparison.Ordinal)) && !r.StartsWith("Microsoft.ML.Tokenizers", StringComparison.Ordinal));
        }
    }
}
