using Microsoft.Extensions.Options;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Images;

/// <summary>
/// Pulls from the Images page, API and command line (section "Portal:Images"). <see cref="Registries"/> must name the
/// same hosts as the launcher policy's <c>registries</c>: the portal refuses any other before it calls the launcher,
/// and the launcher refuses any other again as root.
/// </summary>
public sealed class ImageOptions
{
    public const string SectionName = "Portal:Images";

    /// <summary>The registries pulls may name, <c>host[:port]</c> as references write them. Empty: no pull is offered.</summary>
    public IList<string> Registries { get; set; } = [];

    /// <summary>How long the portal waits for one pull: longer than the launcher policy's <c>imagePullTimeoutSeconds</c>
    /// (900 unless set), so that the launcher's own deadline, with its message, comes first.</summary>
    public TimeSpan PullTimeout { get; set; } = TimeSpan.FromMinutes(16);
}

internal sealed class ImageOptionsValidator : IValidateOptions<ImageOptions>
{
    public ValidateOptionsResult Validate(string? name, ImageOptions options)
    {
        var failures = new List<string>();
        foreach (string registry in options.Registries)
        {
            if (!ImageReference.IsHost(registry) || ImageRules.Registry(registry + "/x") != registry)
            {
                failures.Add($"{ImageOptions.SectionName}:Registries has '{registry}', which is not a registry host as image references write it (host[:port], with a '.' or ':' in it, or localhost).");
            }
        }

        if (options.PullTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{ImageOptions.SectionName}:PullTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
