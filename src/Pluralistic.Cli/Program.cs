using Pluralistic.Cli;

return await CliApplication.RunAsync(args, CliEnvironment.CreateDefault()).ConfigureAwait(false);
