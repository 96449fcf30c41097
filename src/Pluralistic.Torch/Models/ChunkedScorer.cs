using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// Batched scoring on the model's device: responses (or records) in chunks of <see cref="ChunkRows"/> rows, each
/// under <c>no_grad</c> in its own dispose scope, float32 in and out, results copied into caller-owned arrays.
/// Dispose scopes are thread-static, so everything here is synchronous.
/// </summary>
/// <param name="device">The device of the model's module.</param>
/// <param name="method">The method's hooks (state size, matrix and row scoring).</param>
internal sealed class ChunkedScorer(Device device, ITorchMethodHooks method)
{
    /// <summary>Rows scored per tensor batch; bounds memory for large pair files.</summary>
    public const int ChunkRows = 8192;

    /// <summary>Scores every response for every user: M x N rewards, row-major, into <paramref name="destination"/>.</summary>
    /// <param name="responses">The responses (dimensions already checked).</param>
    /// <param name="states">N x state-size floats.</param>
    /// <param name="users">N.</param>
    /// <param name="destination">Receives M x N values.</param>
    /// <param name="cancellationToken">Checked before every chunk.</param>
    public void ScoreMatrix(ResponseBatch responses, float[] states, int users, Span<float> destination, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var stateTensor = StateTensor(states, users);
        MapResponses(responses, destination, users, (x, p) => method.ScoreMatrix(x, p, stateTensor), cancellationToken);
    }

    /// <summary>Scores both responses of every record with the state row <paramref name="rows"/> assigns it.</summary>
    /// <param name="pairs">The records (dimensions already checked).</param>
    /// <param name="rows">The state rows and the row of each record.</param>
    /// <param name="cancellationToken">Checked before every chunk.</param>
    /// <returns>The rewards of the chosen and rejected responses.</returns>
    public PairPredictions ScorePairs(PreferenceDataset pairs, StateRows rows, CancellationToken cancellationToken)
    {
        var rewardChosen = new float[pairs.Count];
        var rewardRejected = new float[pairs.Count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var stateTensor = StateTensor(rows.Values, rows.Count);
        var d = pairs.ResponseDimension;
        var dp = pairs.PromptDimension;
        for (var start = 0; start < pairs.Count; start += ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(ChunkRows, pairs.Count - start);
            using var chunkScope = NewDisposeScope();
            var chosen = tensor(pairs.ChosenVectors.Slice(start * d, count * d).ToArray(), [count, d], ScalarType.Float32, device);
            var rejected = tensor(pairs.RejectedVectors.Slice(start * d, count * d).ToArray(), [count, d], ScalarType.Float32, device);
            var prompts = dp == 0 ? null : tensor(pairs.PromptVectors.Slice(start * dp, count * dp).ToArray(), [count, dp], ScalarType.Float32, device);
            var index = PairTensors.IndexTensor(rows.RowOfRecord.AsSpan(start, count), device);
            var states = stateTensor.index_select(0, index);
            CopyOut(method.ScoreRows(chosen, prompts, states), rewardChosen.AsSpan(start, count));
            CopyOut(method.ScoreRows(rejected, prompts, states), rewardRejected.AsSpan(start, count));
        }

        return new PairPredictions(rewardChosen, rewardRejected);
    }

    /// <summary>
    /// Runs <paramref name="map"/> over the responses in chunks and copies the results out row-major: the shared path
    /// of matrix scoring and of per-response outputs a method exposes (for example per-objective scores).
    /// </summary>
    /// <param name="responses">The responses (dimensions already checked).</param>
    /// <param name="destination">Receives M x <paramref name="columns"/> values, row-major.</param>
    /// <param name="columns">Values per response.</param>
    /// <param name="map">Responses [B, d] and prompts [B, dp] (or <see langword="null"/>) to [B, columns].</param>
    /// <param name="cancellationToken">Checked before every chunk.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold M x <paramref name="columns"/> values.</exception>
    public void MapResponses(ResponseBatch responses, Span<float> destination, int columns, Func<Tensor, Tensor?, Tensor> map, CancellationToken cancellationToken)
    {
        var m = responses.Count;
        if (destination.Length != m * columns)
        {
            throw new ArgumentException($"expected room for {m} x {columns} values, got {destination.Length}", nameof(destination));
        }

        using var noGrad = no_grad();
        for (var start = 0; start < m; start += ChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = Math.Min(ChunkRows, m - start);
            using var chunkScope = NewDisposeScope();
            var x = tensor(responses.Responses.Slice(start * responses.Dimension, rows * responses.Dimension).ToArray(), [rows, responses.Dimension], ScalarType.Float32, device);
            var p = responses.PromptDimension == 0
                ? null
                : tensor(responses.Prompts.Slice(start * responses.PromptDimension, rows * responses.PromptDimension).ToArray(), [rows, responses.PromptDimension], ScalarType.Float32, device);
            CopyOut(map(x, p), destination.Slice(start * columns, rows * columns));
        }
    }

    private static void CopyOut(Tensor values, Span<float> destination)
    {
        var cpu = values.device_type == DeviceType.CPU ? values.contiguous() : values.cpu().contiguous();
        cpu.data<float>().CopyTo(destination);
    }

    private Tensor StateTensor(float[] states, int rows) =>
        tensor(states, [rows, method.StateSize], ScalarType.Float32, device);
}
