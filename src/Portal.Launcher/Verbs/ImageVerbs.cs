using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Tmds.Linux;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>image-pull</c> and <c>image-remove</c>: the user's own rootless storage, changed as the user after the launcher
/// dropped to the user for good. Which references are allowed was settled before (<see cref="ImageRules"/>).
/// </summary>
internal static class ImageVerbs
{
    /// <summary>Where containers/image reads drop-in registries.conf files from the home even when
    /// CONTAINERS_REGISTRIES_CONF names the launcher's file: a drop-in could make an allowed registry a mirror of another.</summary>
    public const string UserRegistriesDropIns = ".config/containers/registries.conf.d";

    public static async Task<VerbResult> PullAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        string reference = ctx.Request.Image!.Reference;
        if (SafeFiles.StatPath(call.User.Home + "/" + UserRegistriesDropIns, follow: false, out stat _) == 0)
        {
            throw new RequestRefusedException(
                $"~/{UserRegistriesDropIns} exists in {call.User.Name}'s home: podman would read registry settings from it, so pulls are refused until it is removed.");
        }

        List<string> argv = PodmanArgs.Pull(podman.Command(), reference);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        int seconds = Math.Max(ctx.Policy.ImagePullTimeoutSeconds, ctx.Policy.PodmanTimeoutSeconds);
        ToolResult result = await call.RunAsync(podman, argv, TimeSpan.FromSeconds(seconds - ctx.Policy.PodmanTimeoutSeconds));
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman pull timed out");
            return new VerbResult(LauncherExitCodes.ToolTimedOut, new LauncherResponse
            {
                Error = $"podman pull did not finish within {seconds} s (the policy's imagePullTimeoutSeconds) and was killed.",
            });
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman pull exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman pull", result);
        }

        string id = result.Stdout.Trim();
        ctx.Audit.Done("pulled " + UntrustedText.Printable(id));
        return VerbResult.Success(new LauncherResponse { ImageId = id });
    }

    public static async Task<VerbResult> RemoveAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        List<string> argv = PodmanArgs.RemoveImage(podman.Command(), ctx.Request.Image!.Reference);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        ToolResult result = await call.RunAsync(podman, argv);
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman image rm timed out");
            return VerbResult.TimedOut("podman image rm", ctx.Policy.PodmanTimeoutSeconds, null);
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman image rm exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman image rm", result);
        }

        ctx.Audit.Done("removed image");
        return VerbResult.Success(new LauncherResponse());
    }
}
