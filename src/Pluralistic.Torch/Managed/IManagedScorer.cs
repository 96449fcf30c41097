namespace Pluralistic.Torch.Managed;

/// <summary>
/// A method's scoring forward over plain float arrays compiled from its trained module: the small-request path, where
/// libtorch's fixed cost per call and per operation (tensor creation, dispose scopes, dispatch) outweighs the
/// arithmetic. It must compute what the method's libtorch <c>ScoreMatrix</c> computes, within float tolerance.
/// Implementations are read-only after construction and safe to call from several threads at once.
/// </summary>
internal interface IManagedScorer
{
    /// <summary>The length of the state vector of every user.</summary>
    int StateSize { get; }

    /// <summary>Multiply-add equivalents of scoring <paramref name="responses"/> for <paramref name="users"/> states.</summary>
    /// <param name="responses">M.</param>
    /// <param name="users">N.</param>
    /// <returns>The estimated work, compared with <see cref="ManagedScoring.MaxWork"/>.</returns>
    long Work(int responses, int users);

    /// <summary>
    /// The most <see cref="Work"/> of a request this scorer takes instead of libtorch on the CPU: <see cref="ManagedScoring.MaxWork"/>
    /// unless its kernels keep pace with libtorch's at every size.
    /// </summary>
    long MaxWork => ManagedScoring.MaxWork;

    /// <summary>Scores M responses for N users: [M, d] x [N, S] -> [M, N], row-major.</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] (empty without prompts).</param>
    /// <param name="m">M.</param>
    /// <param name="states">[N, S].</param>
    /// <param name="n">N.</param>
    /// <param name="destination">Receives [M, N].</param>
    void ScoreMatrix(ReadOnlySpan<float> responses, ReadOnlySpan<float> prompts, int m, ReadOnlySpan<float> states, int n, Span<float> destination);
}
