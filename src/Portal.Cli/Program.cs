using Portal.Cli;

return await CliApp.RunAsync(args);
