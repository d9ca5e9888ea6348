using System.CommandLine;
using System.Text;
using Portal.Cli.Client;
using Portal.Cli.Configuration;

namespace Portal.Cli.Commands;

/// <summary><c>portal login --url URL [--token TOKEN]</c>: checks the token against the portal and stores both.</summary>
internal static class LoginCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The portal, e.g. https://gpu-box.example.org", Required = true };
        var token = new Option<string?>("--token")
        {
            Description = "A personal access token from the portal's Access tokens page. Left out, it is read from "
                + "standard input (or asked for without echo), which keeps it out of the process list and shell history.",
        };
        var command = new Command("login", "Store the portal's URL and your access token (in " + CliConfig.FilePath + ", mode 0600)")
        {
            url, token,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = CommandRunner.Output(parse);
            var secret = parse.GetValue(token) ?? ReadToken();
            if (string.IsNullOrWhiteSpace(secret))
            {
                output.Error("no token given.");
                return ExitCodes.Usage;
            }

            var settings = new CliSettings(parse.GetValue(url)!.TrimEnd('/'), secret.Trim());
            try
            {
                using var api = new PortalApi(settings.Url, settings.Token);
                await api.VerifyAsync(cancellationToken);
            }
            catch (PortalApiException e)
            {
                output.Error(e);
                return e.ExitCode;
            }

            CliConfig.Save(settings);
            output.Err.WriteLine($"Logged in to {settings.Url}; the token is stored in {CliConfig.FilePath}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? ReadToken()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine();
        }

        Console.Error.Write("Access token: ");
        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return typed.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }
    }
}
