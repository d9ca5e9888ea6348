using Portal.Launcher.Cgroups;
using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>stop</c>, <c>remove</c> and <c>release</c>, and for apps <c>app-stop</c> and <c>app-remove</c>: the verbs that
/// end a job (an app's pod lives in its job's cgroup as a job's container does). Podman is asked first (as the user,
/// SIGTERM then SIGKILL after the grace period), then the launcher, still root, kills whatever is left in the job's
/// cgroup and answers from the kernel: a job is over when its cgroup is empty, whatever podman said. Device ACLs are
/// revoked before, and processes of the user still holding a revoked node are killed after (as the user).
/// </summary>
internal static class EndVerbs
{
    /// <summary>After podman's own stop, how long conmon and podman's cleanup may take to leave by themselves.</summary>
    private static readonly TimeSpan SettleWait = TimeSpan.FromSeconds(3);

    public static async Task<VerbResult> ExecuteAsync(UserCall call, List<string> warnings)
    {
        LaunchContext ctx = call.Ctx;
        string verb = ctx.Request.Verb;
        string job = ctx.Request.Job!;
        bool app = verb is LauncherVerbs.AppStop or LauncherVerbs.AppRemove;
        bool removes = verb is LauncherVerbs.Remove or LauncherVerbs.AppRemove or LauncherVerbs.Release;
        IReadOnlyList<string> revoked = await DeviceGrants.RevokeAsync(call);
        if (!ctx.Privileged)
        {
            call.DropForGood();
        }
        else if (verb != LauncherVerbs.Release)
        {
            call.EnterHomeAsUser();
        }

        JobCgroup? cgroup = call.JobCgroup;
        bool hadCgroup = cgroup?.Exists == true;
        warnings.AddRange(revoked.Select(n => "revoked ACL on " + n));
        ToolResult? podmanStop = null;
        PodmanSession? podman = null;
        if (verb != LauncherVerbs.Release)
        {
            podman = call.Podman();
            int grace = ctx.Request.Stop?.TimeoutSeconds ?? 10;
            List<string> argv = app ? PodmanArgs.PodStop(podman.Command(), job, grace) : PodmanArgs.Stop(podman.Command(), job, grace);
            ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
            podmanStop = await call.RunAsync(podman, argv, TimeSpan.FromSeconds(grace));
            if (podmanStop.TimedOut || podmanStop.ExitCode != 0)
            {
                warnings.Add(podmanStop.TimedOut
                    ? $"{StopName(app)} did not finish within {grace + ctx.Policy.PodmanTimeoutSeconds} s and was killed"
                    : StopName(app) + " failed: " + VerbResult.Summarize(podmanStop.Stderr));
            }
        }

        bool empty = true;
        if (hadCgroup)
        {
            // What podman's stop left (a process that daemonized, a hung conmon) or a job podman no longer knows.
            bool settled = (verb == LauncherVerbs.Release || podmanStop is { ExitCode: 0 }) && cgroup!.WaitUntilEmpty(SettleWait);
            empty = settled || cgroup!.KillAll();
        }

        ToolResult? podmanRm = null;
        if (verb is LauncherVerbs.Remove or LauncherVerbs.AppRemove && podmanStop is { TimedOut: false })
        {
            List<string> argv = app ? PodmanArgs.PodRemove(podman!.Command(), job) : PodmanArgs.Remove(podman!.Command(), job);
            ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
            podmanRm = await call.RunAsync(podman, argv);
            if (app && podmanRm is { TimedOut: false, ExitCode: 0 })
            {
                podmanRm = await RemoveAppLeftoversAsync(call, podman, job);
            }
        }

        CgroupState? state = cgroup?.State();
        if (hadCgroup && empty && removes)
        {
            _ = cgroup!.Remove();
        }

        KillHolders(call, revoked);
        return Answer(call, podmanStop, podmanRm, hadCgroup, empty, state, warnings);
    }

    private static VerbResult Answer(UserCall call, ToolResult? stop, ToolResult? rm, bool hadCgroup, bool empty, CgroupState? state, List<string> warnings)
    {
        LaunchContext ctx = call.Ctx;
        string verb = ctx.Request.Verb;
        if (!empty)
        {
            string error = $"Processes of job {ctx.Request.Job} are still alive {JobCgroup.KillWait.TotalSeconds:0} s after SIGKILL; its cgroup is not empty.";
            ctx.Audit.Failed(error);
            return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Ok = false, Error = error, Cgroup = state, Warnings = warnings });
        }

        // Without a cgroup of the job (dev mode, or a container started before the launcher kept them) podman's word
        // is all there is. With one, the job is stopped once it is empty; remove still needs podman to forget it.
        bool app = verb is LauncherVerbs.AppStop or LauncherVerbs.AppRemove;
        ToolResult? deciding = verb is LauncherVerbs.Remove or LauncherVerbs.AppRemove ? rm ?? stop : hadCgroup ? null : stop;
        string what = deciding == rm ? (app ? "podman pod rm" : "podman rm") : StopName(app);
        if (deciding is { TimedOut: true })
        {
            ctx.Audit.Failed($"{verb}: podman timed out");
            return VerbResult.TimedOut(what, ctx.Policy.PodmanTimeoutSeconds, state);
        }

        if (deciding is { ExitCode: not 0 })
        {
            ctx.Audit.Failed($"{verb}: podman exited {deciding.ExitCode}: {VerbResult.Summarize(deciding.Stderr)}");
            return VerbResult.ToolFailed(what, deciding, state);
        }

        ctx.Audit.Done($"{verb} ok" + (hadCgroup ? "; the job's cgroup is empty" : "") + (warnings.Count > 0 ? "; " + string.Join("; ", warnings) : ""));
        return VerbResult.Success(new LauncherResponse
        {
            ContainerName = app ? LauncherProtocol.PodName(ctx.Request.Job!) : JobKeys.ContainerName(ctx.Request.Job!),
            Cgroup = state,
            Warnings = warnings.Count > 0 ? warnings : null,
        });
    }

    private static string StopName(bool app) => app ? "podman pod stop" : "podman stop";

    /// <summary>
    /// After its pod is gone, what else an app kept: its hosts file (written as the user in the runtime directory) and
    /// its volumes (by label). A failed prune is the answer's failure, as the pod's removal would be.
    /// </summary>
    private static async Task<ToolResult> RemoveAppLeftoversAsync(UserCall call, PodmanSession podman, string job)
    {
        call.AsUser(() =>
        {
            HostsFile.Delete(HostsFile.PathFor(call.RuntimeDir ?? call.User.Home, job));
            return 0;
        });
        List<string> argv = PodmanArgs.VolumePrune(podman.Command(), job);
        call.Ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        return await call.RunAsync(podman, argv);
    }

    /// <summary>
    /// Found as root, killed as the user: every process of the user that still holds a node whose ACL was revoked.
    /// The drop is for good: nothing after this needs root.
    /// </summary>
    private static void KillHolders(UserCall call, IReadOnlyList<string> revoked)
    {
        if (revoked.Count == 0 || !call.Ctx.Privileged)
        {
            return;
        }

        List<DeviceHolders.Holder> holders = DeviceHolders.Find(call.User.Uid, revoked);
        call.DropForGood();
        int killed = DeviceHolders.KillAsUser(call.User.Uid, holders);
        if (killed > 0)
        {
            call.Ctx.Audit.Done($"killed {killed} process(es) of {call.User.Name} still holding {string.Join(",", revoked)}");
        }
    }
}
