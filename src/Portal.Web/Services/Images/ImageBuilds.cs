using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Services.Images;

/// <summary>How a build ended: the image's reference, and its id or why it failed.</summary>
public sealed record ImageBuildOutcome(string Image, string? ImageId, string? Error)
{
    public bool Succeeded => ImageId is not null;
}

/// <summary>
/// Builds images into a user's own storage through the launcher's <c>image-build</c>, for the API and the Images page
/// alike: the request is checked first with the launcher's own <see cref="ImageBuildRules"/> and the user's mount roots
/// (so the launcher never refuses its shape later) and the user's image limit, every build is audited (<c>image.build</c>), and the log reaches the
/// caller line by line as the launcher relays it.
/// </summary>
public sealed class ImageBuilds(
    IImageLauncher launcher, MountRootResolver mountRoots, ImageLibrary library, AuditLog audit, IOptions<ImageBuildOptions> options)
{
    /// <summary>The field of the problem "your images are at your limit": not a fault of the request's shape, so the API
    /// answers it as a pull at the limit is answered (409), not as a bad field.</summary>
    public const string StorageLimitField = "ImageStorageLimit";

    /// <summary>Every problem of <paramref name="build"/> for <paramref name="user"/>, by field (Context, Containerfile,
    /// Tag, or <see cref="StorageLimitField"/>); empty when it may start. A user without a Linux account cannot
    /// build.</summary>
    public async Task<IReadOnlyList<BuildRuleViolation>> CheckAsync(CurrentUser user, BuildSpec build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.LinuxUserName is not { } linuxUser)
        {
            return [new BuildRuleViolation("", "Your portal account is not bound to a Linux account, so it has no image storage to build into.")];
        }

        IReadOnlyList<MountRoot> roots = await mountRoots.ForAsync(linuxUser, cancellationToken);
        IReadOnlyList<BuildRuleViolation> broken = ImageBuildRules.Check(build, roots);
        if (broken.Count > 0)
        {
            return broken;
        }

        // The image limit holds for builds as for pulls: refused up front at or over it (a build may go past it).
        try
        {
            return await library.AtLimitAsync(user.Id, linuxUser, "build", cancellationToken) is { } full
                ? [new BuildRuleViolation(StorageLimitField, full)]
                : [];
        }
        catch (LauncherException e)
        {
            return [new BuildRuleViolation("", $"Your images could not be listed to check your image limit: {e.Message}")];
        }
    }

    /// <summary>
    /// Runs a build that <see cref="CheckAsync"/> accepted, handing each log line to <paramref name="onLogLine"/>. A build
    /// the launcher refuses or that fails ends with <see cref="ImageBuildOutcome.Error"/>; cancelling ends the build
    /// (the launcher removes what it left) and throws.
    /// </summary>
    public async Task<ImageBuildOutcome> BuildAsync(CurrentUser user, BuildSpec build, Func<LogLine, Task> onLogLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(build);
        string linuxUser = user.LinuxUserName ?? throw new InvalidOperationException("CheckAsync refuses a user without a Linux account.");
        string image = ImageBuildRules.LocalReference(build.Tag);
        var actor = new AuditActor(user.Id, user.Name);
        string detail = $"from {build.Context}" + (build.Containerfile is { } file ? $" ({file})" : "");
        try
        {
            string id = await launcher.BuildImageAsync(linuxUser, build, onLogLine, TimeSpan.FromSeconds(options.Value.TimeoutSeconds), cancellationToken);
            await audit.WriteAsync(AuditActions.ImageBuilt, actor, succeeded: true, image, $"{detail}: {id}", CancellationToken.None);
            return new ImageBuildOutcome(image, id, null);
        }
        catch (LauncherException e)
        {
            await audit.WriteAsync(AuditActions.ImageBuilt, actor, succeeded: false, image, $"{detail}: {e.Message}", CancellationToken.None);
            return new ImageBuildOutcome(image, null, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await audit.WriteAsync(AuditActions.ImageBuilt, actor, succeeded: false, image, $"{detail}: the caller left; the build was ended", CancellationToken.None);
            throw;
        }
    }
}

/// <summary>Registers <see cref="ImageBuilds"/>, its options and the launcher's image verbs.</summary>
public static class ImageBuildRegistration
{
    public static IServiceCollection AddImageBuilds(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImageBuildOptions>().Bind(configuration.GetSection(ImageBuildOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImageBuildOptions>, ImageBuildOptionsValidator>();
        services.TryAddSingleton<IImageLauncher>(sp => sp.GetRequiredService<ProcessLauncher>());
        services.AddSingleton<ImageBuilds>();
        return services;
    }
}
