using Pluralistic.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Models.Pal;

/// <summary>
/// Fits users' mixture logits W_u from their pairs with every population parameter frozen: full-batch Adam on each
/// user's pair losses. The response side of every pair is encoded once, without gradients. PAL-B's rewards depend on
/// the logits only through K-long dot products of that encoding, so its users are fitted in managed code
/// (<see cref="PalMixtureFit"/>: no libtorch op per step); PAL-A's ideal points go through the projector, so its users
/// are fitted in one batched optimisation over a [users, K] tensor, each step differentiating only with respect to
/// the logits (<c>autograd.grad</c>, so nothing is accumulated into the shared module and concurrent fits do not
/// interfere). The fit starts at the population's logits, and a Gaussian prior with the seen users' mean and
/// covariance keeps users with one or two pairs near the population along the directions in which users actually
/// differ.
/// </summary>
internal static class PalUserFitter
{
    /// <summary>Adam's first-moment decay.</summary>
    internal const double Beta1 = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    internal const double Beta2 = 0.999;

    /// <summary>Adam's denominator term.</summary>
    internal const double Epsilon = 1e-8;

    /// <summary>
    /// One vector of K logits per user; each dataset holds one user's pairs. PAL-B's users are fitted by
    /// <paramref name="managed"/> (made once per model by <see cref="PalMixtureFit.Create"/>); without it (PAL-A, or
    /// the reference PAL-B's managed fit is tested against) by libtorch's autograd.
    /// </summary>
    public static float[][] Fit(PalNetwork network, PalOptions options, PalMixtureFit? managed, IReadOnlyList<PreferenceDataset> evidence, Device device, CancellationToken cancellationToken)
    {
        var users = evidence.Count;
        if (users == 0)
        {
            return [];
        }

        using var scope = NewDisposeScope();
        var (responses, prompts, weights) = Pad(evidence, device);
        ResponseSide side;
        using (no_grad())
        {
            // [U, 2L] rows: each user's chosen responses, then the rejected ones.
            side = network.Encode(responses, prompts);
        }

        var flat = managed is null
            ? FitWithAutograd(network, options, side, weights, cancellationToken)
            : FitManaged(managed, network.K, side, weights, cancellationToken);
        if (flat.Any(x => !float.IsFinite(x)))
        {
            throw new PluralisticException("PAL: fitting users' weights diverged; lower AdaptationLearningRate");
        }

        var k = network.K;
        return Enumerable.Range(0, users).Select(u => flat.AsSpan(u * k, k).ToArray()).ToArray();
    }

    // PAL-B: each user's logits from the encoded rows' dot products and Gram matrices, in managed code.
    private static float[] FitManaged(PalMixtureFit fit, int k, ResponseSide side, Tensor weights, CancellationToken cancellationToken)
    {
        var users = (int)weights.shape[0];
        var length = (int)weights.shape[1];
        var dots = Floats(side.Dots!);
        var gram = Floats(side.Gram!);
        var pairWeights = Floats(weights);
        var sharedGram = side.Gram!.dim() == 2;
        var rows = 2 * length;
        var flat = new float[users * k];
        for (var u = 0; u < users; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            fit.Fit(
                dots.AsSpan(u * rows * k, rows * k),
                sharedGram ? gram : gram.AsSpan(u * rows * k * k, rows * k * k),
                pairWeights.AsSpan(u * length, length),
                flat.AsSpan(u * k, k));
        }

        return flat;
    }

    /// <summary>A tensor's values, row-major, on the CPU.</summary>
    internal static float[] Floats(Tensor tensor) => tensor.detach().cpu().contiguous().data<float>().ToArray();

    // PAL-A (and the reference for PAL-B): every user's logits in one batched Adam optimisation over a [U, K] tensor.
    private static float[] FitWithAutograd(PalNetwork network, PalOptions options, ResponseSide side, Tensor weights, CancellationToken cancellationToken)
    {
        var users = weights.shape[0];
        var k = network.K;
        var length = weights.shape[1];
        var start = network.PopulationLogits.unsqueeze(0).expand(users, k);
        var priorMean = network.PriorMean.unsqueeze(0);
        var precision = network.PriorPrecision;
        var logits = start.clone().requires_grad_(true);
        var m = zeros_like(start);
        var v = zeros_like(start);
        var priorWeight = options.AdaptationPriorStrength / 2;
        for (var step = 1; step <= options.AdaptationSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            Tensor gradient;
            using (enable_grad())
            {
                var rewards = network.Rewards(side, logits.unsqueeze(1));
                var margin = rewards.narrow(1, 0, length) - rewards.narrow(1, length, length);
                var loss = (PalLosses.PerPair(margin, options) * weights).sum();
                if (priorWeight > 0)
                {
                    // Mahalanobis distance of the centred logits from the seen users' mean.
                    var deviation = logits - logits.mean([1], keepdim: true) - priorMean;
                    loss = loss.Plus((deviation.matmul(precision) * deviation).sum().Times(priorWeight));
                }

                // Only the logits are differentiated: nothing is accumulated into the shared population module.
                gradient = torch.autograd.grad([loss], [logits])[0];
            }

            using (no_grad())
            {
                m.mul_(ScalarCache.Of(Beta1)).add_(gradient, ScalarCache.Of(1 - Beta1));
                v.mul_(ScalarCache.Of(Beta2)).addcmul_(gradient, gradient, ScalarCache.Of(1 - Beta2));
                var stepSize = options.AdaptationLearningRate * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step));
                logits.sub_((m / v.sqrt().Plus(Epsilon)).Times(stepSize));
            }
        }

        return Floats(logits);
    }

    /// <summary>
    /// Every user's pairs padded to the longest: responses [U, 2L, d] (chosen then rejected), prompts [U, 2L, dp]
    /// or <see langword="null"/>, and weights [U, L] (0 for padding).
    /// </summary>
    private static (Tensor Responses, Tensor? Prompts, Tensor Weights) Pad(IReadOnlyList<PreferenceDataset> evidence, Device device)
    {
        var users = evidence.Count;
        var length = evidence.Max(e => e.Count);
        var d = evidence[0].ResponseDimension;
        var dp = evidence[0].PromptDimension;
        var responses = new float[users * 2 * length * d];
        var prompts = new float[users * 2 * length * dp];
        var weights = new float[users * length];
        for (var u = 0; u < users; u++)
        {
            var data = evidence[u];
            var n = data.Count;
            var chosenAt = u * 2 * length * d;
            var rejectedAt = chosenAt + (length * d);
            data.ChosenVectors.Span.CopyTo(responses.AsSpan(chosenAt, n * d));
            data.RejectedVectors.Span.CopyTo(responses.AsSpan(rejectedAt, n * d));
            if (dp > 0)
            {
                data.PromptVectors.Span.CopyTo(prompts.AsSpan(u * 2 * length * dp, n * dp));
                data.PromptVectors.Span.CopyTo(prompts.AsSpan(((u * 2) + 1) * length * dp, n * dp));
            }

            data.Weights.Span.CopyTo(weights.AsSpan(u * length, n));
        }

        return (
            tensor(responses, [users, 2 * length, d], ScalarType.Float32, device),
            dp == 0 ? null : tensor(prompts, [users, 2 * length, dp], ScalarType.Float32, device),
            tensor(weights, [users, length], ScalarType.Float32, device));
    }
}
