using static TorchSharp.torch;

namespace Pluralistic.Torch.Modules;

/// <summary>
/// What every reward head reads: the response vector, followed by its prompt's vector when the data has prompts. One
/// place, so every method and the population anchor see the same input layout (their checkpoints depend on it).
/// </summary>
internal static class RewardInputs
{
    /// <summary><c>[responses ; prompts]</c> along the last dimension, or the responses alone without prompts.</summary>
    /// <param name="responses">[..., d].</param>
    /// <param name="prompts">[..., dp] (the same leading shape) or <see langword="null"/>.</param>
    /// <returns>[..., d + dp].</returns>
    public static Tensor Of(Tensor responses, Tensor? prompts) => prompts is null ? responses : cat([responses, prompts], dim: -1);
}
