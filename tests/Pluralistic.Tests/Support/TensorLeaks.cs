using TorchSharp;

namespace Pluralistic.Tests.Support;

/// <summary>
/// The tensor-leak check every model kind runs: live tensors on this thread (TorchSharp's dispose-scope statistics)
/// must not grow while a trained model is used, and must return to the count before training once it is disposed.
/// Use models with the in-memory store: it completes synchronously, so the thread-static statistics see all the work.
/// </summary>
public static class TensorLeaks
{
    /// <summary>Trains a warm-up model and disposes it, then trains, uses and disposes the model under test, asserting the counts.</summary>
    /// <param name="warmUp">Trains the warm-up model (lazily created libtorch globals then do not count).</param>
    /// <param name="train">Trains the model under test.</param>
    /// <param name="use">Scores, adapts or otherwise uses the model.</param>
    /// <returns>A task.</returns>
    public static async Task AssertNoneLeftAsync<TModel>(Func<TModel> warmUp, Func<TModel> train, Func<TModel, Task> use)
        where TModel : IUserRewardModel
    {
        warmUp().Dispose();

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var model = train();
        var afterTraining = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        await use(model);
        var afterUse = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Dispose();
        var afterDispose = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.True(afterTraining == afterUse, $"live tensors after training {afterTraining}, after use {afterUse}");
        Assert.Equal(before, afterDispose);
    }
}
