using TorchSharp;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Some records of a dataset as tensors on one device, created once, in a chosen order. Rows are addressed by
/// position (0..<see cref="Count"/>-1); <see cref="Records"/> maps a position back to its record. Mini-batches are
/// either <c>index_select</c> gathers of any positions or zero-copy slices of consecutive positions.
/// Dispose it when training ends.
/// </summary>
public sealed class PairTensors : IDisposable
{
    /// <summary>Moves every record of <paramref name="data"/> to <paramref name="device"/>, in record order.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="device">The device.</param>
    public PairTensors(PreferenceDataset data, Device device)
        : this(data, null, device)
    {
    }

    /// <summary>Moves the given records of <paramref name="data"/> to <paramref name="device"/>, in the given order.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="records">Record indices, one per position; <see langword="null"/> for all records in order.</param>
    /// <param name="device">The device.</param>
    public PairTensors(PreferenceDataset data, IReadOnlyList<int>? records, Device device)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        Device = device;
        var positions = records?.ToArray() ?? Enumerable.Range(0, data.Count).ToArray();
        Records = positions;
        var n = data.Count;

        // The dataset's buffers are wrapped without copying; only the selected rows are gathered into new tensors.
        using var scope = NewDisposeScope();
        var index = records is null ? null : IndexTensor(positions, CPU);
        Tensor Column(ReadOnlyMemory<float> values, long[] shape)
        {
            var all = ToTensor(values, shape, CPU);
            var selected = index is null ? all : all.index_select(0, index);
            return selected.to(device).DetachFromDisposeScope();
        }

        Chosen = Column(data.ChosenVectors, [n, data.ResponseDimension]);
        Rejected = Column(data.RejectedVectors, [n, data.ResponseDimension]);
        Prompts = data.HasPrompts ? Column(data.PromptVectors, [n, data.PromptDimension]) : null;
        Weights = Column(data.Weights, [n]);
        var userIndex = data.UserIndices.ToArray();
        Users = tensor(positions.Select(r => (long)userIndex[r]).ToArray(), dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
    }

    /// <summary>The dataset.</summary>
    public PreferenceDataset Data { get; }

    /// <summary>The record index of each position.</summary>
    public IReadOnlyList<int> Records { get; }

    /// <summary>The number of rows.</summary>
    public int Count => Records.Count;

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

    /// <summary>User index of each row [N] (int64), into <see cref="PreferenceDataset.Users"/>.</summary>
    public Tensor Users { get; }

    /// <summary>Gathers the rows at the given positions. Call inside a dispose scope.</summary>
    /// <param name="positions">Row positions.</param>
    /// <returns>The batch.</returns>
    public PairBatch Gather(ReadOnlySpan<int> positions)
    {
        var index = IndexTensor(positions, Device);
        return Gather(index);
    }

    /// <summary>The rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="length"/> - 1 as views (no copy).</summary>
    /// <param name="start">First position.</param>
    /// <param name="length">Rows.</param>
    /// <returns>The batch.</returns>
    public PairBatch Slice(int start, int length) => new(
        Chosen.narrow(0, start, length),
        Rejected.narrow(0, start, length),
        Prompts?.narrow(0, start, length),
        Weights.narrow(0, start, length),
        Users.narrow(0, start, length));

    /// <summary>Gathers the rows at the given positions. Call inside a dispose scope.</summary>
    /// <param name="index">Row positions (int64, any shape; the batch is flattened).</param>
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

    /// <summary>
    /// Gathers padded episodes as sets. The episodes' indices are positions of this instance, so build it over every
    /// record in record order (<see cref="PairTensors(PreferenceDataset, Device)"/>) to gather by record index.
    /// Call inside a dispose scope.
    /// </summary>
    /// <param name="episodes">The episodes.</param>
    /// <returns>Context and query sets with their masks.</returns>
    public EpisodeSets GatherEpisodes(EpisodeBatch episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var b = episodes.Users;
        var context = Gather(tensor(episodes.Context, dtype: ScalarType.Int64, device: Device));
        var queries = Gather(tensor(episodes.Query, dtype: ScalarType.Int64, device: Device));
        var queryMask = tensor(episodes.QueryMask, [b, episodes.QueryWidth], ScalarType.Float32, Device);
        Tensor Sets(Tensor rows) => rows.view(b, -1, rows.shape[^1]);
        return new EpisodeSets(
            Sets(context.Chosen),
            Sets(context.Rejected),
            context.Prompts is null ? null : Sets(context.Prompts),
            tensor(episodes.ContextMask, [b, episodes.ContextWidth], ScalarType.Float32, Device),
            Sets(queries.Chosen),
            Sets(queries.Rejected),
            queries.Prompts is null ? null : Sets(queries.Prompts),
            queryMask,
            queryMask * queries.Weights.view(b, episodes.QueryWidth));
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

    /// <summary>
    /// A float32 tensor of the given shape over a buffer. On the CPU a buffer that is a whole array is wrapped
    /// without copying (the tensor pins the array and must not outlive the caller's use of it); otherwise it is copied.
    /// </summary>
    /// <param name="values">Row-major values (never written through the tensor).</param>
    /// <param name="shape">The shape.</param>
    /// <param name="device">The device.</param>
    /// <returns>The tensor, in the current dispose scope.</returns>
    public static Tensor ToTensor(ReadOnlyMemory<float> values, long[] shape, Device device)
    {
        if (device.type == DeviceType.CPU
            && MemoryMarshal.TryGetArray(values, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            return from_array(segment.Array, device).reshape(shape);
        }

        return tensor(values.ToArray(), shape, ScalarType.Float32, device);
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
