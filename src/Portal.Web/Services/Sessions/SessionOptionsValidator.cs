using Microsoft.Extensions.Options;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Sessions;

/// <summary>Lists every problem in the "Portal:Sessions" section at once, at start.</summary>
internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionOptions options)
    {
        var failures = new List<string>();
        const string S = SessionOptions.SectionName;
        if (!string.IsNullOrWhiteSpace(options.Origin))
        {
            if (!Uri.TryCreate(options.Origin, UriKind.Absolute, out Uri? origin)
                || origin.Scheme is not ("https" or "http")
                || origin.AbsolutePath != "/" || origin.Query.Length > 0 || origin.Fragment.Length > 0 || origin.UserInfo.Length > 0)
            {
                failures.Add($"{S}:Origin '{options.Origin}' must be an origin: a scheme, a host and an optional port, e.g. https://sessions.gpu.example.org.");
            }
        }

        if (!Path.IsPathFullyQualified(options.SocketDirectory) || options.SocketDirectory.Length > SessionRules.MaxFolderRootLength)
        {
            failures.Add($"{S}:SocketDirectory '{options.SocketDirectory}' must be an absolute path of at most {SessionRules.MaxFolderRootLength} characters (socket paths hold 107 bytes).");
        }

        Between(failures, $"{S}:WebSocketIdleTimeout", options.WebSocketIdleTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromDays(7));
        Between(failures, $"{S}:RequestIdleTimeout", options.RequestIdleTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Between(failures, $"{S}:IdleCheckInterval", options.IdleCheckInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        Between(failures, $"{S}:AppStartAllowance", options.AppStartAllowance, TimeSpan.Zero, TimeSpan.FromHours(1));
        Between(failures, $"{S}:ConnectTimeout", options.ConnectTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Between(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{name} is {value}; it must be between {min} and {max}.");
        }
    }
}
