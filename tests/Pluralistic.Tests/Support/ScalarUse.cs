using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace Pluralistic.Tests.Support;

/// <summary>
/// Finds, by reading IL, the places where the SDK hands libtorch a TorchSharp <see cref="Scalar"/> that nothing keeps
/// alive (docs/architecture.md, "Threads and TorchSharp's Scalars"): implicit conversions of numbers to Scalars, and
/// calls into TorchSharp members that make such temporaries themselves (found transitively through TorchSharp's own
/// IL), including modules and optimisers whose forward or step does.
/// </summary>
internal static class ScalarUse
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly Lazy<HashSet<MethodBase>> TorchSharpMakers = new(FindTorchSharpMakers);

    /// <summary>The call sites in <paramref name="assembly"/> that pass a temporary Scalar, as "caller -> callee".</summary>
    /// <param name="assembly">An SDK assembly.</param>
    /// <param name="allowedTypes">Types whose own Scalars are deliberate (the cache).</param>
    /// <returns>One line per offending call.</returns>
    public static IReadOnlyList<string> TemporaryScalars(Assembly assembly, params Type[] allowedTypes)
    {
        var found = new List<string>();
        foreach (var method in MethodsOf(assembly))
        {
            if (allowedTypes.Any(t => IsNestedIn(method.DeclaringType, t)))
            {
                continue;
            }

            var calls = Calls(method).ToList();
            var disposes = calls.Any(c => c.Callee.Name == "Dispose");
            foreach (var (callee, storedInLocal) in calls)
            {
                // A Scalar made into a local that the method disposes lives until after the op that reads it.
                var temporary = IsScalarMaker(callee) && !(storedInLocal && disposes);
                var viaTorchSharp = TorchSharpMakers.Value.Contains(callee) || MakesUnsafeModule(callee);
                if (temporary || viaTorchSharp)
                {
                    found.Add($"{method.DeclaringType!.FullName}.{method.Name} -> {callee.DeclaringType!.Name}.{callee}");
                }
            }
        }

        return found;
    }

    private static bool IsNestedIn(Type? type, Type outer)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            if (t == outer)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsScalarMaker(MethodBase method) =>
        (method.DeclaringType == typeof(Scalar) && method.Name == "op_Implicit")
        || (method.Name == "ToScalar" && method.DeclaringType?.Name == "ScalarExtensionMethods");

    /// <summary>A TorchSharp factory or constructor of a module / optimiser whose forward or step makes temporaries.</summary>
    private static bool MakesUnsafeModule(MethodBase method)
    {
        var type = method is MethodInfo info ? info.ReturnType : method is ConstructorInfo ? method.DeclaringType : null;
        if (type is null || type.Assembly != typeof(Scalar).Assembly)
        {
            return false;
        }

        return type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name is "forward" or "step" && m.DeclaringType == type)
            .Any(TorchSharpMakers.Value.Contains);
    }

    private static HashSet<MethodBase> FindTorchSharpMakers()
    {
        var callees = MethodsOf(typeof(Scalar).Assembly).ToDictionary(m => m, m => Calls(m).Select(c => c.Callee).ToList());
        var makers = callees.Where(kv => kv.Value.Any(IsScalarMaker)).Select(kv => kv.Key).ToHashSet();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (method, calls) in callees)
            {
                if (!makers.Contains(method) && calls.Any(makers.Contains))
                {
                    makers.Add(method);
                    changed = true;
                }
            }
        }

        return makers;
    }

    private static IEnumerable<MethodBase> MethodsOf(Assembly assembly) =>
        assembly.GetTypes().SelectMany(t => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)));

    /// <summary>Every method a method's IL calls, and whether the call's result goes straight into a local.</summary>
    private static IEnumerable<(MethodBase Callee, bool StoredInLocal)> Calls(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException)
        {
            il = null;
        }

        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        MethodBase? pending = null;
        for (var i = 0; i < il.Length;)
        {
            var code = il[i] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[i + 1])] : OpCodesByValue[il[i]];
            i += code.Size;
            if (pending is not null)
            {
                yield return (pending, code.Name!.StartsWith("stloc", StringComparison.Ordinal));
                pending = null;
            }

            if (code.OperandType == OperandType.InlineMethod)
            {
                pending = Resolve(method.Module, BitConverter.ToInt32(il, i), typeArguments, methodArguments);
            }

            i += code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
        }

        if (pending is not null)
        {
            yield return (pending, false);
        }
    }

    private static MethodBase? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            return module.ResolveMethod(token, typeArguments, methodArguments);
        }
        catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException)
        {
            return null;
        }
    }
}
