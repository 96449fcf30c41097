using Pluralistic.Samples.RewardServer;

var app = await RewardServerApp.BuildAsync(args).ConfigureAwait(false);
await app.RunAsync().ConfigureAwait(false);
