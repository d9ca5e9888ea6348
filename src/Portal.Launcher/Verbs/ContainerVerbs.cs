using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// The verbs that act on a user's containers. Each resolves the user, does the few root-only steps
/// (runtime directory, device ACLs), drops to the user for good, and only then runs podman.
/// </summary>
internal static class ContainerVerbs
{
    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        LauncherRequest r = ctx.Request;
        UserAccount user = UserResolver.Resolve(r.User!, ctx.Policy, ctx.Privileged ? null : ctx.CallerUid,
            UserDatabase.FindUser, UserDatabase.FindGroupId);

        string? runtimeDir = null;
        if (ctx.Privileged)
        {
            runtimeDir = RuntimeDirectory.Ensure(user);
        }
        else if (Directory.Exists(RuntimeDirectory.PathFor(user.Uid)))
        {
            runtimeDir = RuntimeDirectory.PathFor(user.Uid);
        }

        List<string> warnings = [];
        await RootStepsAsync(ctx, user, warnings);
        if (r.Verb == LauncherVerbs.Release)
        {
            ctx.Audit.Done(warnings.Count == 0 ? "nothing to revoke" : string.Join("; ", warnings));
            return VerbResult.Success(new LauncherResponse { Warnings = warnings });
        }

        if (ctx.Privileged)
        {
            Privileges.DropTo(user);
        }
        else
        {
            Privileges.VerifyIsOnly(user);
        }

        try
        {
            // After the drop: the home is entered with the user's own rights.
            Directory.SetCurrentDirectory(user.Home);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RequestRefusedException($"Cannot enter the home directory {user.Home} as {user.Name}: {e.Message}");
        }

        Dictionary<string, string> env = PodmanArgs.Environment(user, runtimeDir);
        return r.Verb switch
        {
            LauncherVerbs.Run => await RunAsync(ctx, user, env, runtimeDir, warnings),
            LauncherVerbs.Stop => await SimpleAsync(ctx, "podman stop", PodmanArgs.Stop(ctx.Policy, r.Job!, r.Stop?.TimeoutSeconds ?? 10), env, user, warnings),
            LauncherVerbs.Remove => await RemoveAsync(ctx, env, user, warnings),
            LauncherVerbs.Inspect => await InspectAsync(ctx, env, user),
            LauncherVerbs.List => await ListAsync(ctx, env, user),
            LauncherVerbs.Images => await ImagesAsync(ctx, env, user),
            LauncherVerbs.Logs => Logs(ctx, env),
            _ => throw new InvalidOperationException($"Verb {r.Verb} is not a container verb."),
        };
    }

    /// <summary>Device ACLs change as root, before the drop: granted before run, revoked before stop.</summary>
    private static async Task RootStepsAsync(LaunchContext ctx, UserAccount user, List<string> warnings)
    {
        LauncherRequest r = ctx.Request;
        if (!ctx.Policy.ManageDeviceAcls)
        {
            return;
        }

        if (!ctx.Privileged)
        {
            if (r.Verb == LauncherVerbs.Run && r.Run!.Gpus is { Count: > 0 })
            {
                throw new RequestRefusedException("Device ACL mode needs the privileged launcher; dev mode cannot grant GPUs.");
            }

            return;
        }

        if (r.Verb == LauncherVerbs.Run && r.Run!.Gpus is { Count: > 0 } gpus)
        {
            List<string> nodes = [.. gpus.Select(id => ctx.Policy.Gpus.Single(g => g.Id == id).Node)];
            await DeviceAcls.GrantAsync(ctx.Policy, user, r.Job!, nodes);
            ctx.Audit.Accepted("granted ACL on " + string.Join(",", nodes));
        }
        else if (r.Verb is LauncherVerbs.Stop or LauncherVerbs.Remove or LauncherVerbs.Release)
        {
            // Revoked before the stop: descriptors already open survive, but the stop that follows
            // kills every process holding one, and nothing new can be opened meanwhile.
            IReadOnlyList<string> revoked = await DeviceAcls.RevokeAsync(ctx.Policy, user, r.Job!);
            if (revoked.Count > 0)
            {
                warnings.Add("revoked ACL on " + string.Join(",", revoked));
                ctx.Audit.Accepted("revoked ACL on " + string.Join(",", revoked));
            }
        }
    }

    private static async Task<VerbResult> RunAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env, string? runtimeDir, List<string> warnings)
    {
        RunSpec run = ctx.Request.Run!;
        var mounts = MountChecker.Check(run.Mounts, ctx.Policy, user);
        string? envFile = run.Env is { Count: > 0 } ? EnvFile.Write(run.Env, runtimeDir ?? user.Home, ctx.Request.Job!) : null;
        try
        {
            List<string> argv = PodmanArgs.Run(ctx.Request.Job!, run, user, ctx.Policy, envFile, mounts);
            ctx.Audit.Accepted(Describe(argv));
            ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
            if (result.ExitCode != 0)
            {
                ctx.Audit.Failed($"podman run exited {result.ExitCode}: {VerbResult.Summarize(result.Stderr)}");
                return VerbResult.ToolFailed("podman run", result);
            }

            warnings.AddRange(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            string id = result.Stdout.Trim();
            ctx.Audit.Done("started " + id);
            return VerbResult.Success(new LauncherResponse
            {
                ContainerId = id,
                ContainerName = JobKeys.ContainerName(ctx.Request.Job!),
                Warnings = warnings.Count > 0 ? warnings : null,
            });
        }
        finally
        {
            if (envFile is not null)
            {
                File.Delete(envFile);
            }
        }
    }

    private static async Task<VerbResult> SimpleAsync(LaunchContext ctx, string what, List<string> argv, Dictionary<string, string> env, UserAccount user, List<string> warnings)
    {
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"{what} exited {result.ExitCode}: {VerbResult.Summarize(result.Stderr)}");
            return VerbResult.ToolFailed(what, result);
        }

        ctx.Audit.Done(what + " ok");
        return VerbResult.Success(new LauncherResponse
        {
            ContainerName = JobKeys.ContainerName(ctx.Request.Job!),
            Warnings = warnings.Count > 0 ? warnings : null,
        });
    }

    private static async Task<VerbResult> RemoveAsync(LaunchContext ctx, Dictionary<string, string> env, UserAccount user, List<string> warnings)
    {
        VerbResult stopped = await SimpleAsync(ctx, "podman stop", PodmanArgs.Stop(ctx.Policy, ctx.Request.Job!, ctx.Request.Stop?.TimeoutSeconds ?? 10), env, user, warnings);
        return stopped.ExitCode != 0 ? stopped : await SimpleAsync(ctx, "podman rm", PodmanArgs.Remove(ctx.Policy, ctx.Request.Job!), env, user, warnings);
    }

    private static async Task<VerbResult> InspectAsync(LaunchContext ctx, Dictionary<string, string> env, UserAccount user)
    {
        List<string> argv = PodmanArgs.Inspect(ctx.Policy, ctx.Request.Job!);
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman inspect exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman inspect", result);
        }

        ContainerState? state = PodmanJson.ParseInspect(result.Stdout);
        ctx.Audit.Done("inspected");
        return VerbResult.Success(new LauncherResponse { Container = state, ContainerName = JobKeys.ContainerName(ctx.Request.Job!) });
    }

    private static async Task<VerbResult> ListAsync(LaunchContext ctx, Dictionary<string, string> env, UserAccount user)
    {
        List<string> argv = PodmanArgs.List(ctx.Policy, user.Name);
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman ps exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman ps", result);
        }

        // The storage is the user's own; the label filter keeps out containers the user ran by hand.
        List<ContainerState> all = PodmanJson.ParsePs(result.Stdout);
        ctx.Audit.Done($"listed {all.Count}");
        return VerbResult.Success(new LauncherResponse { Containers = [.. all.Where(c => c.Job is not null && c.Owner == user.Name)] });
    }

    private static async Task<VerbResult> ImagesAsync(LaunchContext ctx, Dictionary<string, string> env, UserAccount user)
    {
        List<string> argv = PodmanArgs.Images(ctx.Policy);
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman images exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman images", result);
        }

        ctx.Audit.Done("listed images");
        return VerbResult.Success(new LauncherResponse { Images = PodmanJson.ParseImages(result.Stdout) });
    }

    private static VerbResult Logs(LaunchContext ctx, Dictionary<string, string> env)
    {
        List<string> argv = PodmanArgs.Logs(ctx.Policy, ctx.Request.Job!, ctx.Request.Logs);
        ctx.Audit.Accepted(Describe(argv));
        int? exitCode = ToolProcess.Stream(argv, env, untilStdinCloses: ctx.Request.Logs?.UntilStdinCloses == true);
        if (exitCode is null)
        {
            ctx.Audit.Done("caller hung up; podman logs ended");
            return new VerbResult(LauncherExitCodes.Ok, new LauncherResponse());
        }

        // podman wrote its own output and errors to the caller; its exit code is the launcher's.
        ctx.Audit.Done($"podman logs exited {exitCode}");
        return new VerbResult(exitCode.Value, new LauncherResponse());
    }

    /// <summary>The argv for the audit log. Environment values never appear in argv (they go through an env file).</summary>
    private static string Describe(List<string> argv) => string.Join(' ', argv.Select(UntrustedText.Printable));
}
