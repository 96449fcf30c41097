using System.Buffers;

namespace Pluralistic.Torch.Managed;

/// <summary>
/// When a request takes the managed path, and the pooled scratch it uses. A request goes managed when its estimated
/// work (multiply-adds, a smooth nonlinearity counted as 16; see <see cref="IManagedScorer.Work"/>) is at most
/// <see cref="MaxWork"/>, about 16.8 million multiply-adds: the managed kernels do 30-60 billion a second per core
/// here, so such a request costs at most a few hundred microseconds, the range where libtorch's fixed cost per call
/// (tensor creation, dispose scopes, per-operation dispatch: 300-600 µs by kind on this machine) dominates. One user x
/// 64 candidates of 768 floats through a 64-wide hidden layer is about 3.2 million (DPA's two 128-wide layers 7.8
/// million, MaxMin's K heads K x 3.2 million). A scorer whose kernels keep pace with libtorch's at every size raises its
/// own limit (<see cref="IManagedScorer.MaxWork"/>: VPL's and FSPO's one-hidden-layer heads score 1024 x 1000 in one
/// fused pass, and the feature scorers of BT, DPA and MaxMin run their dense kernels at every size) on the CPU; on another
/// device larger requests stay with libtorch.
/// </summary>
internal static class ManagedScoring
{
    /// <summary>The most work a request may have to take the managed path.</summary>
    public const long MaxWork = 1L << 24;

    /// <summary>Whether <paramref name="scorer"/> should score <paramref name="responses"/> x <paramref name="users"/>.</summary>
    /// <param name="scorer">The method's managed scorer, if any.</param>
    /// <param name="responses">M.</param>
    /// <param name="users">N.</param>
    /// <param name="cpu">Whether the model's libtorch path runs on the CPU (elsewhere only small requests go managed).</param>
    public static bool Takes(IManagedScorer? scorer, int responses, int users, bool cpu = true) =>
        scorer is not null && responses > 0 && users > 0 && scorer.Work(responses, users) <= (cpu ? Math.Max(scorer.MaxWork, MaxWork) : MaxWork);

    /// <summary>Compiles a method's managed scorer; a module with a part that has no managed form keeps libtorch.</summary>
    /// <param name="method">The method's hooks.</param>
    /// <returns>The scorer or <see langword="null"/>.</returns>
    public static IManagedScorer? Compile(ITorchMethodHooks method)
    {
        try
        {
            return method.CreateManagedScorer();
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Rents scratch of at least <paramref name="length"/> floats (return it with <see cref="Return"/>).</summary>
    public static float[] Rent(long length) => ArrayPool<float>.Shared.Rent((int)Math.Max(length, 1));

    /// <summary>Returns scratch from <see cref="Rent"/>.</summary>
    public static void Return(float[] scratch) => ArrayPool<float>.Shared.Return(scratch);
}
