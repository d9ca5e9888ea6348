using Microsoft.Extensions.Options;

namespace Portal.Web.Configuration;

/// <summary>Lists every problem in the "Portal" section at once, at start.</summary>
internal sealed class PortalOptionsValidator : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        var failures = new List<string>();
        if (options.MinimumUid < 1000)
        {
            failures.Add($"Portal:MinimumUid is {options.MinimumUid}; it must be at least 1000 so that system accounts can never run jobs.");
        }

        if (options.DataDirectory is { Length: > 0 } dir && !Path.IsPathFullyQualified(dir))
        {
            failures.Add($"Portal:DataDirectory '{dir}' must be an absolute path.");
        }

        if (options.Production && Environment.IsPrivilegedProcess)
        {
            failures.Add("Portal:Production is set but the portal runs as root; the production portal runs as its own unprivileged account (see deploy/).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
