using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// The verbs that act on a user's containers. <c>run</c> and <c>app-up</c> start a job, <c>stop</c>, <c>remove</c>,
/// <c>release</c>, <c>app-stop</c> and <c>app-remove</c> end one: these keep root around podman to own the job's
/// cgroup (<see cref="RunVerb"/>, <see cref="AppVerbs"/>, <see cref="EndVerbs"/>). The others only read, and drop to
/// the user for good before podman runs.
/// </summary>
internal static class ContainerVerbs
{
    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        UserCall call = UserCall.Open(ctx);
        if (ctx.Request.Verb == LauncherVerbs.Run && SubIdOverlap.Problem(call.User.Name) is { } overlap)
        {
            throw new RequestRefusedException(overlap);
        }

        try
        {
            List<string> warnings = [];
            string? sessionFolder = SessionSteps(ctx, call.User, warnings);
            return ctx.Request.Verb switch
            {
                LauncherVerbs.Run => await RunVerb.ExecuteAsync(call, sessionFolder, warnings),
                LauncherVerbs.AppUp => await AppVerbs.UpAsync(call, sessionFolder, warnings),
                LauncherVerbs.Stop or LauncherVerbs.Remove or LauncherVerbs.Release or LauncherVerbs.AppStop or LauncherVerbs.AppRemove
                    => await EndVerbs.ExecuteAsync(call, warnings),
                _ => await ReadAsync(call),
            };
        }
        catch (ToolTimeoutOrFailure e)
        {
            return e.Result;
        }
        catch (CgroupException e)
        {
            ctx.Audit.Failed("cgroup: " + e.Message);
            return new VerbResult(LauncherExitCodes.InternalError, new LauncherResponse { Ok = false, Error = "Job cgroups: " + e.Message });
        }
    }

    /// <summary>
    /// The session folder, as root before the drop: made for a session's run and for an app's web front, removed on
    /// stop, remove and release and on app-stop and app-remove (a request for a job without one finds none). Returns
    /// the folder made, or null.
    /// </summary>
    private static string? SessionSteps(LaunchContext ctx, UserAccount user, List<string> warnings)
    {
        LauncherRequest r = ctx.Request;
        if (ctx.Policy.Sessions is not { } sessions)
        {
            return null;
        }

        // A session's run, or an app's web front (the one service with a session section): the same folder, the same rules.
        SessionSpec? session = r.Verb switch
        {
            LauncherVerbs.Run => r.Run!.Session,
            LauncherVerbs.AppUp => r.App!.Services.FirstOrDefault(s => s.Run.Session is not null)?.Run.Session,
            _ => null,
        };
        if (session is not null)
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

            if (session.BridgePort is not null)
            {
                SafeFiles.CheckTrustedExecutable(sessions.Bridge!, 0);
            }

            string folder = SessionFolders.Create(sessions, r.Job!, user, proxyGid);
            ctx.Audit.Accepted("session folder " + folder);
            return folder;
        }

        if (ctx.Privileged && r.Verb is LauncherVerbs.Stop or LauncherVerbs.Remove or LauncherVerbs.Release or LauncherVerbs.AppStop or LauncherVerbs.AppRemove)
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

    private static async Task<VerbResult> ReadAsync(UserCall call)
    {
        call.DropForGood();
        PodmanSession podman = call.Podman();
        return call.Ctx.Request.Verb switch
        {
            LauncherVerbs.Inspect => await InspectAsync(call, podman),
            LauncherVerbs.List => await ListAsync(call, podman),
            LauncherVerbs.Images => await ImagesAsync(call, podman),
            LauncherVerbs.ImagePull => await ImageVerbs.PullAsync(call, podman),
            LauncherVerbs.ImageRemove => await ImageVerbs.RemoveAsync(call, podman),
            LauncherVerbs.ImageBuild => await ImageBuildVerb.ExecuteAsync(call, podman),
            LauncherVerbs.Logs or LauncherVerbs.AppLogs => Logs(call, podman),
            LauncherVerbs.AppInspect => await AppVerbs.InspectAsync(call, podman),
            LauncherVerbs.AppExport => await AppVerbs.ExportAsync(call, podman),
            _ => throw new InvalidOperationException($"Verb {call.Ctx.Request.Verb} is not a container verb."),
        };
    }

    private static async Task<VerbResult> InspectAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        List<string> argv = PodmanArgs.Inspect(podman.Command(), ctx.Request.Job!);
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await call.RunAsync(podman, argv);

        // The kernel's answer comes whatever podman's was: a job whose podman record is gone or locked may still run.
        CgroupState? cgroup = call.JobCgroup?.State();
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman inspect timed out");
            return VerbResult.TimedOut("podman inspect", ctx.Policy.PodmanTimeoutSeconds, cgroup);
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman inspect exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman inspect", result, cgroup);
        }

        ContainerState? state = PodmanJson.ParseInspect(result.Stdout) is { } parsed ? parsed with { Cgroup = cgroup } : null;
        ctx.Audit.Done("inspected");
        return VerbResult.Success(new LauncherResponse { Container = state, ContainerName = JobKeys.ContainerName(ctx.Request.Job!), Cgroup = cgroup });
    }

    private static async Task<VerbResult> ListAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        List<string> argv = PodmanArgs.List(podman.Command(), call.User.Name);
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await call.RunAsync(podman, argv);
        List<CgroupState>? cgroups = call.Cgroups is { } tree ? [.. tree.JobIds().Select(id => tree.Job(id).State())] : null;
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman ps timed out");
            return new VerbResult(LauncherExitCodes.ToolTimedOut, VerbResult.TimedOut("podman ps", ctx.Policy.PodmanTimeoutSeconds, null).Response with { Cgroups = cgroups });
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman ps exited {result.ExitCode}");
            return new VerbResult(LauncherExitCodes.OperationFailed, VerbResult.ToolFailed("podman ps", result).Response with { Cgroups = cgroups });
        }

        // The storage is the user's own; the label filter keeps out containers the user ran by hand.
        List<ContainerState> all = PodmanJson.ParsePs(result.Stdout);
        List<ContainerState> jobs = [.. all.Where(c => c.Job is not null && c.Owner == call.User.Name)];

        // Each app once, as the job it is (its services' containers share the owner label; the infra container has no service).
        jobs.AddRange(all.Where(c => c.App is not null && c.Service is not null && c.Owner == call.User.Name)
            .GroupBy(c => c.App!, StringComparer.Ordinal)
            .Select(app => AppStates.Aggregate(app.Key, call.User.Name, [.. app])));
        ctx.Audit.Done($"listed {jobs.Count}");
        return VerbResult.Success(new LauncherResponse
        {
            Containers = [.. jobs.Select(c => c with { Cgroup = cgroups?.FirstOrDefault(g => g.Job == c.Job) })],
            Cgroups = cgroups,
        });
    }

    private static async Task<VerbResult> ImagesAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        List<string> argv = PodmanArgs.Images(podman.Command());
        ctx.Audit.Accepted(Describe(argv));
        ToolResult result = await call.RunAsync(podman, argv);
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman images timed out");
            return VerbResult.TimedOut("podman images", ctx.Policy.PodmanTimeoutSeconds, null);
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman images exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman images", result);
        }

        ctx.Audit.Done("listed images");
        return VerbResult.Success(new LauncherResponse { Images = PodmanJson.ParseImages(result.Stdout) });
    }

    /// <summary>
    /// Following a live job, how long a line waits for the other stream before it goes out: podman's two pipes are read
    /// apart, and a line written just before on the other one may arrive a moment later. Short enough to read as live.
    /// </summary>
    private static readonly TimeSpan LogHoldBack = TimeSpan.FromMilliseconds(150);

    /// <summary>The job's two output streams as one, in order, each line framed with its stream (see
    /// <see cref="ToolProcess.StreamLog"/>).</summary>
    private static VerbResult Logs(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        List<string> argv = PodmanArgs.Logs(podman.Command(), ctx.Request.Job!, ctx.Request.Logs);
        ctx.Audit.Accepted(Describe(argv));

        // A followed stream lasts as long as the job; the caller ends it early. Any other read has the deadline.
        bool follow = ctx.Request.Logs?.Follow == true;
        int? exitCode = ToolProcess.StreamLog(argv, podman.Environment(call.User, call.RuntimeDir),
            untilStdinCloses: ctx.Request.Logs?.UntilStdinCloses == true, deadline: follow ? null : podman.Deadline,
            holdBack: follow ? LogHoldBack : null, out bool timedOut);
        if (timedOut)
        {
            ctx.Audit.Failed("podman logs timed out");
            return VerbResult.TimedOut("podman logs", ctx.Policy.PodmanTimeoutSeconds, null);
        }

        if (exitCode is null)
        {
            ctx.Audit.Done("caller hung up; podman logs ended");
            return new VerbResult(LauncherExitCodes.Ok, new LauncherResponse());
        }

        // podman's output went to the caller, framed; its exit code is the launcher's.
        ctx.Audit.Done($"podman logs exited {exitCode}");
        return new VerbResult(exitCode.Value, new LauncherResponse());
    }

    /// <summary>The argv for the audit log. Environment values never appear in argv (they go through an env file).</summary>
    internal static string Describe(List<string> argv) => string.Join(' ', argv.Select(UntrustedText.Printable));
}
