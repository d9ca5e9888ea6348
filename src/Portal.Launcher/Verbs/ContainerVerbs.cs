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
        if (r.Verb == LauncherVerbs.Run && SubIdOverlap.Problem(user.Name) is { } overlap)
        {
            throw new RequestRefusedException(overlap);
        }

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
        string? sessionFolder = SessionSteps(ctx, user, warnings);
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
            LauncherVerbs.Run => await RunAsync(ctx, user, env, runtimeDir, sessionFolder, warnings),
            LauncherVerbs.Stop => await SimpleAsync(ctx, "podman stop", PodmanArgs.Stop(ctx.Policy, r.Job!, r.Stop?.TimeoutSeconds ?? 10), env, user, warnings),
            LauncherVerbs.Remove => await RemoveAsync(ctx, env, user, warnings),
            LauncherVerbs.Inspect => await InspectAsync(ctx, env, user),
            LauncherVerbs.List => await ListAsync(ctx, env, user),
            LauncherVerbs.Images => await ImagesAsync(ctx, env, user),
            LauncherVerbs.Logs or LauncherVerbs.AppLogs => Logs(ctx, env),
            LauncherVerbs.AppUp => await AppVerbs.UpAsync(ctx, user, env, runtimeDir ?? user.Home, warnings),
            LauncherVerbs.AppStop => await SimpleAsync(ctx, "podman pod stop", PodmanArgs.PodStop(ctx.Policy, r.Job!, r.Stop?.TimeoutSeconds ?? 10), env, user, warnings),
            LauncherVerbs.AppRemove => await AppVerbs.RemoveAsync(ctx, user, env, runtimeDir ?? user.Home, warnings),
            LauncherVerbs.AppInspect => await AppVerbs.InspectAsync(ctx, user, env),
            LauncherVerbs.AppExport => await AppVerbs.ExportAsync(ctx, user, env),
            _ => throw new InvalidOperationException($"Verb {r.Verb} is not a container verb."),
        };
    }

    /// <summary>
    /// The session folder, as root before the drop: made for a session's run, removed on stop, remove and release
    /// (a request for a job without one finds none). Returns the folder made, or null.
    /// </summary>
    private static string? SessionSteps(LaunchContext ctx, UserAccount user, List<string> warnings)
    {
        LauncherRequest r = ctx.Request;
        if (ctx.Policy.Sessions is not { } sessions)
        {
            return null;
        }

        if (r.Verb == LauncherVerbs.Run && r.Run!.Session is not null)
        {
            if (!ctx.Privileged)
            {
                throw new RequestRefusedException("Sessions need the privileged launcher: only root can give the session folder the portal's group.");
            }

            uint proxyGid = UserDatabase.FindGroupId(sessions.Group)
                ?? throw new RequestRefusedException($"The sessions group '{sessions.Group}' does not exist.");
            if (user.Gid == proxyGid || user.Groups.Contains(proxyGid))
            {
                // A member could connect to every other user's session socket.
                throw new RequestRefusedException($"'{user.Name}' is a member of the sessions group '{sessions.Group}', which only the portal may be.");
            }

            if (r.Run.Session.BridgePort is not null)
            {
                SafeFiles.CheckTrustedExecutable(sessions.Bridge!, 0);
            }

            string folder = SessionFolders.Create(sessions, r.Job!, user, proxyGid);
            ctx.Audit.Accepted("session folder " + folder);
            return folder;
        }

        if (ctx.Privileged && r.Verb is LauncherVerbs.Stop or LauncherVerbs.Remove or LauncherVerbs.Release)
        {
            try
            {
                if (SessionFolders.Remove(sessions, r.Job!, user))
                {
                    warnings.Add("removed the session folder");
                    ctx.Audit.Accepted("removed session folder " + sessions.Dir + "/" + r.Job);
                }
            }
            catch (IOException e)
            {
                // Never a reason not to stop the job: the folder is left for an administrator, and said so.
                warnings.Add("session folder left in place: " + e.Message);
                ctx.Audit.Accepted("session folder left in place: " + e.Message);
            }
        }

        return null;
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
            if (GpusToGrant(r) is { Count: > 0 })
            {
                throw new RequestRefusedException("Device ACL mode needs the privileged launcher; dev mode cannot grant GPUs.");
            }

            return;
        }

        if (GpusToGrant(r) is { Count: > 0 } gpus)
        {
            List<string> nodes = [.. gpus.Select(id => ctx.Policy.Gpus.Single(g => g.Id == id).Node)];
            await DeviceAcls.GrantAsync(ctx.Policy, user, r.Job!, nodes);
            ctx.Audit.Accepted("granted ACL on " + string.Join(",", nodes));
        }
        else if (r.Verb is LauncherVerbs.Stop or LauncherVerbs.Remove or LauncherVerbs.Release or LauncherVerbs.AppStop or LauncherVerbs.AppRemove)
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

    /// <summary>The GPUs a run or app-up is given: an app's services hold them together, under the one job.</summary>
    private static List<string>? GpusToGrant(LauncherRequest r) => r.Verb switch
    {
        LauncherVerbs.Run => [.. r.Run!.Gpus ?? []],
        LauncherVerbs.AppUp => [.. r.App!.Services.SelectMany(s => s.Run.Gpus ?? [])],
        _ => null,
    };

    private static async Task<VerbResult> RunAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env, string? runtimeDir, string? sessionFolder, List<string> warnings)
    {
        RunSpec run = ctx.Request.Run!;
        var mounts = MountChecker.Check(run.Mounts, ctx.Policy, user);
        ToolResult result = await StartContainerAsync(ctx, user, env, runtimeDir ?? user.Home, run, mounts, member: null, sessionFolder);
        if (result.ExitCode != 0)
        {
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

    /// <summary>
    /// The one way the launcher starts a container, for a job and for each service of an app: the environment through a
    /// 0600 file removed right after, the argv from <see cref="PodmanArgs.Run"/>, the decision audited.
    /// </summary>
    internal static async Task<ToolResult> StartContainerAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env,
        string envDirectory, RunSpec run, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts, PodMember? member,
        string? sessionFolder = null)
    {
        string job = ctx.Request.Job!;
        string? envFile = run.Env is { Count: > 0 } ? EnvFile.Write(run.Env, envDirectory, member is null ? job : job + "-" + member.Service.Name) : null;
        try
        {
            List<string> argv = PodmanArgs.Run(job, run, user, ctx.Policy, envFile, mounts, member, sessionFolder);
            ctx.Audit.Accepted(Describe(argv));
            ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
            if (result.ExitCode != 0)
            {
                ctx.Audit.Failed($"podman run exited {result.ExitCode}: {VerbResult.Summarize(result.Stderr)}");
            }

            return result;
        }
        finally
        {
            if (envFile is not null)
            {
                File.Delete(envFile);
            }
        }
    }

    internal static async Task<VerbResult> SimpleAsync(LaunchContext ctx, string what, List<string> argv, Dictionary<string, string> env, UserAccount user, List<string> warnings)
    {
        string name = LauncherVerbs.AppVerbs.Contains(ctx.Request.Verb) ? LauncherProtocol.PodName(ctx.Request.Job!) : JobKeys.ContainerName(ctx.Request.Job!);
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
            ContainerName = name,
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
        List<ContainerState> jobs = [.. all.Where(c => c.Job is not null && c.Owner == user.Name)];

        // Each app once, as the job it is (its services' containers share the owner label; the infra container has no service).
        jobs.AddRange(all.Where(c => c.App is not null && c.Service is not null && c.Owner == user.Name)
            .GroupBy(c => c.App!, StringComparer.Ordinal)
            .Select(app => AppStates.Aggregate(app.Key, user.Name, [.. app])));
        ctx.Audit.Done($"listed {jobs.Count}");
        return VerbResult.Success(new LauncherResponse { Containers = jobs });
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
    internal static string Describe(List<string> argv) => string.Join(' ', argv.Select(UntrustedText.Printable));
}
