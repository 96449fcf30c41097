using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Tensor arithmetic that never hands libtorch a temporary <see cref="Scalar"/>. TorchSharp 0.107's operators
/// (<c>a + b</c> passes an implicit <c>alpha = 1</c>; <c>a * 0.5</c>, <c>1 - a</c>, <c>softplus</c> wrap their numbers)
/// create Scalars that only a finalizer frees, and a garbage collection can free one while libtorch still reads it
/// (docs/architecture.md, "Threads and TorchSharp's Scalars"). Here constants come from <see cref="ScalarCache"/> and
/// per-call values live in a Scalar that is disposed after the op returns, so it is reachable throughout.
/// <c>TorchSharpScalarTests</c> scans the SDK's assemblies so that no other temporary Scalar comes back.
/// </summary>
internal static class TensorArithmetic
{
    /// <summary><c>left + right</c>.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand (broadcast).</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Plus(this Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.add(right, ScalarCache.Of(1L));
    }

    /// <summary><c>left += right</c> in place.</summary>
    /// <param name="left">Left operand, updated.</param>
    /// <param name="right">Right operand (broadcast).</param>
    /// <returns><paramref name="left"/>.</returns>
    public static Tensor PlusInPlace(this Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.add_(right, ScalarCache.Of(1L));
    }

    /// <summary><c>tensor + value</c>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="value">The number added to every element.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Plus(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scalar = value.ToScalar();
        return tensor.add(scalar, ScalarCache.Of(1L));
    }

    /// <summary><c>tensor * factor</c>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="factor">The factor.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Times(this Tensor tensor, double factor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scalar = factor.ToScalar();
        return tensor.mul(scalar);
    }

    /// <summary><c>tensor / divisor</c>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="divisor">The divisor.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor DividedBy(this Tensor tensor, double divisor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scalar = divisor.ToScalar();
        return tensor.div(scalar);
    }

    /// <summary><c>value - tensor</c>.</summary>
    /// <param name="tensor">The tensor subtracted.</param>
    /// <param name="value">The number it is subtracted from.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor SubtractedFrom(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scalar = value.ToScalar();
        return tensor.neg().add_(scalar, ScalarCache.Of(1L));
    }

    /// <summary>Elements clamped to at least <paramref name="minimum"/>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="minimum">The lower bound.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor AtLeast(this Tensor tensor, double minimum)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scalar = minimum.ToScalar();
        return tensor.clamp_min(scalar);
    }

    /// <summary>Every element squared (TorchSharp's <c>square()</c> is <c>pow(2)</c> with a temporary Scalar).</summary>
    /// <param name="tensor">The tensor.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Squared(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.pow(ScalarCache.Of(2L));
    }

    /// <summary>
    /// <c>log(1 + exp(x))</c>, computed as <c>-logsigmoid(-x)</c>: the same function, stable for large |x|, and free of
    /// the two temporary Scalars TorchSharp's <c>softplus(beta, threshold)</c> creates.
    /// </summary>
    /// <param name="tensor">x.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Softplus(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return nn.functional.logsigmoid(tensor.neg()).neg();
    }
}
