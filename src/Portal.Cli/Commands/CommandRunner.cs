using System.CommandLine;
using Portal.Cli.Client;
using Portal.Cli.Configuration;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary>What every command that talks to the portal shares: the login, the output mode, and turning failures
/// into a message on stderr and a documented exit code.</summary>
internal static class CommandRunner
{
    /// <summary>--json on every command: print the API's JSON instead of tables.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print JSON (the API's own shapes) instead of human-readable text",
        Recursive = true,
    };

    public static CliOutput Output(ParseResult parse) => new(parse.GetValue(JsonOption), Console.Out, Console.Error);

    public static async Task<int> RunAsync(ParseResult parse, Func<PortalApi, CliOutput, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = Output(parse);
        var (settings, problem) = CliConfig.Load();
        if (settings is null)
        {
            output.Error(problem!);
            return ExitCodes.Unauthorized;
        }

        try
        {
            using var api = new PortalApi(settings.Url, settings.Token);
            return await body(api, output);
        }
        catch (PortalApiException e)
        {
            output.Error(e);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.Error("interrupted");
            return ExitCodes.Detached;
        }
    }
}
