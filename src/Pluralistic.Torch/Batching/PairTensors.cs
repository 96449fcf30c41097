using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// A dataset's columns as tensors on one device, created once; mini-batches are <c>index_select</c> gathers, so a
/// training step copies only the rows it uses. Dispose it when training ends.
/// </summary>
public sealed class PairTensors : IDisposable
{
    /// <summary>Moves the columns of <paramref name="data"/> to <paramref name="device"/>.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="device">The device.</param>
    public PairTensors(PreferenceDataset data, Device device)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        Device = device;
        var n = data.Count;
        Chosen = ToTensor(data.ChosenVectors, [n, data.ResponseDimension], device);
        Rejected = ToTensor(data.RejectedVectors, [n, data.ResponseDimension], device);
        Prompts = data.HasPrompts ? ToTensor(data.PromptVectors, [n, data.PromptDimension], device) : null;
        Weights = ToTensor(data.Weights, [n], device);
        Users = tensor(data.UserIndices.ToArray().Select(u => (long)u).ToArray(), dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
    }

    /// <summary>The dataset.</summary>
    public PreferenceDataset Data { get; }

    /// <summary>The device the tensors live on.</summary>
    public Device Device { get; }

    /// <summary>Chosen vectors [N, d].</summary>
    public Tensor Chosen { get; }

    /// <summary>Rejected vectors [N, d].</summary>
    public Tensor Rejected { get; }

    /// <summary>Prompt vectors [N, dp], or <see langword="null"/>.</summary>
    public Tensor? Prompts { get; }

    /// <summary>Example weights [N].</summary>
    public Tensor Weights { get; }

    /// <summary>User index of each record [N] (int64), into <see cref="PreferenceDataset.Users"/>.</summary>
    public Tensor Users { get; }

    /// <summary>Gathers the given records. Call inside a dispose scope.</summary>
    /// <param name="records">Record indices.</param>
    /// <returns>The batch.</returns>
    public PairBatch Gather(ReadOnlySpan<int> records)
    {
        var index = IndexTensor(records, Device);
        return Gather(index);
    }

    /// <summary>Gathers the given records. Call inside a dispose scope.</summary>
    /// <param name="index">Record indices (int64, any shape; the batch is flattened).</param>
    /// <returns>The batch.</returns>
    public PairBatch Gather(Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var flat = index.reshape(-1);
        return new PairBatch(
            Chosen.index_select(0, flat),
            Rejected.index_select(0, flat),
            Prompts?.index_select(0, flat),
            Weights.index_select(0, flat),
            Users.index_select(0, flat));
    }

    /// <summary>An int64 index tensor of record indices.</summary>
    /// <param name="records">The indices.</param>
    /// <param name="device">The device.</param>
    /// <returns>The tensor (in the current dispose scope).</returns>
    public static Tensor IndexTensor(ReadOnlySpan<int> records, Device device)
    {
        var values = new long[records.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = records[i];
        }

        return tensor(values, dtype: ScalarType.Int64, device: device);
    }

    /// <summary>A float32 tensor of the given shape from a buffer (copied).</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="device">The device.</param>
    /// <returns>The tensor, detached from any dispose scope.</returns>
    public static Tensor ToTensor(ReadOnlyMemory<float> values, long[] shape, Device device)
    {
        var array = MemoryMarshal.TryGetArray(values, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : values.ToArray();
        return tensor(array, shape, ScalarType.Float32, device).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Chosen.Dispose();
        Rejected.Dispose();
        Prompts?.Dispose();
        Weights.Dispose();
        Users.Dispose();
    }
}

/// <summary>Gathered rows of a <see cref="PairTensors"/>.</summary>
/// <param name="Chosen">Chosen vectors [B, d].</param>
/// <param name="Rejected">Rejected vectors [B, d].</param>
/// <param name="Prompts">Prompt vectors [B, dp] or <see langword="null"/>.</param>
/// <param name="Weights">Example weights [B].</param>
/// <param name="Users">User indices [B].</param>
public readonly record struct PairBatch(Tensor Chosen, Tensor Rejected, Tensor? Prompts, Tensor Weights, Tensor Users);
