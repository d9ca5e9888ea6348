using System.CommandLine;
using Portal.Cli.Commands;

namespace Portal.Cli;

/// <summary>The <c>portal</c> command: its subcommands, and exit code 2 for a command line it cannot read.</summary>
public static class CliApp
{
    public static RootCommand Create()
    {
        var root = new RootCommand("The GPU box portal from a terminal. Start with: portal login --url URL")
        {
            LoginCommand.Create(),
            SubmitCommand.Create(),
            AppCommands.Create(),
            SessionCommand.Create(),
            JobCommands.Jobs(),
            JobCommands.Show(),
            JobCommands.Logs(),
            JobCommands.Cancel(),
            BoxCommands.Gpus(),
            BoxCommands.Quota(),
            PresetCommands.List(),
            PresetCommands.Preset(),
            ImageCommands.Images(),
            ImageCommands.Image(),
            BookingCommands.List(),
            BookingCommands.Book(),
            BookingCommands.Booking(),
        };
        root.Options.Add(CommandRunner.JsonOption);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("portal: " + error.Message);
            }

            await Console.Error.WriteLineAsync("Try: portal --help");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync();
    }
}
