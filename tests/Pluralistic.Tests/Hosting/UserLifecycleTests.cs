using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic.Text;

namespace Pluralistic.Tests.Hosting;

public class UserLifecycleTests(TextRunFixture fixture) : IClassFixture<TextRunFixture>
{
    [Fact]
    public async Task Feedback_adapts_a_new_user_persists_and_forgetting_leaves_no_trace_in_the_store_file()
    {
        var run = fixture.CopyRun("lifecycle");
        var user = new UserId("privacy-test-user-7f3a");
        var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
        services.AddUserRewardModel(run, o => o.ReadOnly = false).UseUserStateCache();
        using (var provider = services.BuildServiceProvider())
        {
            var model = provider.GetRequiredService<IUserRewardModel>();
            var adaptation = await model.RecordFeedbackAsync(user, "Which pet should I get?", "Get a dog: loyal and playful.", "A cat is the best choice: calm and independent.");
            Assert.True(adaptation.IsNewUser);
            await model.RecordFeedbackAsync(user, "Any tips for travelling by train?", "Reserve seats and pack snacks.", "Figure it out yourself.");

            var exported = await model.ExportUserAsync(user);
            Assert.NotNull(exported);
            Assert.Equal(2, exported.PairCount);
            Assert.Equal(2, exported.EvidenceCount);
            Assert.Equal(3, (await model.RankAsync(user, "Which pet should I get?", ["a cat", "a dog", "no pet"])).Count);
        }

        var storePath = Path.Combine(run, "users.db");
        Assert.Contains(user.Value, ReadAll(run), StringComparison.Ordinal);

        using (var provider = services.BuildServiceProvider())
        {
            var model = provider.GetRequiredService<IUserRewardModel>();
            Assert.NotNull(await model.ExportUserAsync(user)); // persisted across a restart
            Assert.True(await model.ForgetUserAsync(user));
            Assert.Null(await model.ExportUserAsync(user)); // the cache forgot too
            await Assert.ThrowsAsync<UnknownUserException>(() => model.RankAsync(user, "Which pet should I get?", ["a cat", "a dog"]));
            Assert.False(await model.ForgetUserAsync(user));
        }

        Assert.True(File.Exists(storePath));
        Assert.DoesNotContain(user.Value, ReadAll(run), StringComparison.Ordinal);
    }

    /// <summary>Every byte of the store's files (data and log), as Latin-1 text so any byte sequence is searchable.</summary>
    private static string ReadAll(string run) =>
        string.Concat(Directory.EnumerateFiles(run, "users*").Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
}
