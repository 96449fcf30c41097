using Pluralistic.Torch.Managed;
using static TorchSharp.torch;

namespace Pluralistic.Torch;

/// <summary>
/// What a method supplies to <see cref="TorchUserRewardModel"/>, as the model's collaborators see it.
/// <see cref="TorchUserRewardModel"/> implements it explicitly by forwarding to its protected members, so the
/// collaborators reach a method through these hooks only; they may call them lazily (a method's fields are set after
/// the base constructor has run).
/// </summary>
internal interface ITorchMethodHooks
{
    /// <summary>The length of the state vector of every user.</summary>
    int StateSize { get; }

    /// <summary>Scores M responses for N users: [M, d] x [N, S] -> [M, N].</summary>
    /// <param name="responses">[M, d].</param>
    /// <param name="prompts">[M, dp] or <see langword="null"/>.</param>
    /// <param name="states">[N, S].</param>
    /// <returns>[M, N] rewards.</returns>
    Tensor ScoreMatrix(Tensor responses, Tensor? prompts, Tensor states);

    /// <summary>Scores row i of the responses for row i of the states: [B, d] x [B, S] -> [B].</summary>
    /// <param name="responses">[B, d].</param>
    /// <param name="prompts">[B, dp] or <see langword="null"/>.</param>
    /// <param name="states">[B, S].</param>
    /// <returns>[B] rewards.</returns>
    Tensor ScoreRows(Tensor responses, Tensor? prompts, Tensor states);

    /// <summary>Infers one state vector per user from that user's pairs, population parameters frozen.</summary>
    /// <param name="evidence">One dataset per user.</param>
    /// <param name="cancellationToken">Cancels inference.</param>
    /// <returns>One state vector per user.</returns>
    float[][] InferStates(IReadOnlyList<PreferenceDataset> evidence, CancellationToken cancellationToken);

    /// <summary>The population-level state for users without one.</summary>
    /// <returns>A state vector.</returns>
    float[] ColdStartState();

    /// <summary>The state that scores with an explicit direction over named objectives.</summary>
    /// <param name="direction">Objective name to weight.</param>
    /// <returns>A state vector.</returns>
    float[] DirectionState(IReadOnlyDictionary<string, double> direction);

    /// <summary>The method's managed scoring forward for small requests, compiled from the trained module, or <see langword="null"/> when it has none (libtorch scores everything).</summary>
    /// <returns>The scorer or <see langword="null"/>.</returns>
    IManagedScorer? CreateManagedScorer();
}
