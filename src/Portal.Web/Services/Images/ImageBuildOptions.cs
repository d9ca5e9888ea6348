using Microsoft.Extensions.Options;

namespace Portal.Web.Services.Images;

/// <summary>Image builds (section "Portal:ImageBuild").</summary>
public sealed class ImageBuildOptions
{
    public const string SectionName = "Portal:ImageBuild";

    /// <summary>
    /// How long the portal waits for one build. The launcher kills a build at its policy's
    /// <c>imageBuildTimeoutSeconds</c> (default 1800) and then cleans up: keep this a minute or more above it, so that
    /// the launcher's own answer, with what it removed, is the one the user reads.
    /// </summary>
    public int TimeoutSeconds { get; set; } = 1900;
}

/// <summary>Says every problem with <see cref="ImageBuildOptions"/> at start.</summary>
internal sealed class ImageBuildOptionsValidator : IValidateOptions<ImageBuildOptions>
{
    public ValidateOptionsResult Validate(string? name, ImageBuildOptions options) =>
        options.TimeoutSeconds is < 10 or > 90000
            ? ValidateOptionsResult.Fail($"{ImageBuildOptions.SectionName}:TimeoutSeconds must be between 10 and 90000.")
            : ValidateOptionsResult.Success;
}
