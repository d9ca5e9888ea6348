using Portal.Launcher.Cgroups;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>run</c>. Privileged, the launcher stays root around podman so that the job's cgroup is its own from first to
/// last: it makes the cgroup with the job's limits and device filter, moves itself into it, runs <c>podman run</c>
/// as the user, so podman, conmon and every process of the job start inside it, then leaves it, writes the
/// exact limits and answers. A failed or timed-out start is killed and its cgroup removed.
/// </summary>
internal static class RunVerb
{
    public static async Task<VerbResult> ExecuteAsync(UserCall call, string? sessionFolder, List<string> warnings)
    {
        LaunchContext ctx = call.Ctx;
        RunSpec run = ctx.Request.Run!;
        string job = ctx.Request.Job!;
        await DeviceGrants.GrantAsync(call);
        if (!ctx.Privileged)
        {
            call.DropForGood();
        }

        // Everything the launcher must do as the user, in one switch of its effective ids: enter the home, check the
        // mount sources, write the env file, read which driver the user's storage has and whether podman's pause
        // process runs.
        (var mounts, string? envFile, string driver, bool pauseRunning) = call.AsUser(() =>
        {
            call.EnterHome();
            var checkedMounts = MountChecker.Check(run.Mounts, ctx.Policy, call.User);
            string? file = run.Env is { Count: > 0 } ? EnvFile.Write(run.Env, call.RuntimeDir ?? call.User.Home, job) : null;
            return (checkedMounts, file, UserStorage.DriverOf(call.User.Home, ctx.Policy.StorageDriver),
                call.RuntimeDir is { } runtimeDir && PauseProcess.IsRunning(call.User.Uid, runtimeDir));
        });
        try
        {
            var podman = new PodmanSession(ctx.Policy, call.ConfigDir, driver);
            JobCgroup? cgroup = call.JobCgroup;
            JobLimits limits = JobDevices.Limits(run, ctx.Policy, podman.StorageDriver);
            bool fresh = await PrepareJobCgroupAsync(call, podman, cgroup, limits, pauseRunning, enter: true);

            List<string> argv = PodmanArgs.Run(podman.Command(), job, run, call.User, ctx.Policy, envFile, mounts, member: null, sessionFolder);
            ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
            // podman inherits the job's cgroup when it starts; the launcher leaves at once.
            bool left = false;
            ToolResult result;
            try
            {
                result = await call.RunAsync(podman, argv, started: () =>
                {
                    call.Cgroups?.EnterCalls();
                    left = true;
                });
            }
            finally
            {
                if (!left)
                {
                    call.Cgroups?.EnterCalls();
                }
            }

            if (result.TimedOut || result.ExitCode != 0)
            {
                // Whatever the failed start left (conmon, a half-made container's processes) goes with its cgroup;
                // a cgroup that held another start's job before this call is not this call's to clean. Nor is one whose
                // container name podman found taken: another start of the same job (a portal that died mid-launch and
                // its successor) made that container in this cgroup meanwhile, and podman made nothing for this call.
                if (fresh && !NameTaken(result))
                {
                    _ = cgroup!.KillAll() && cgroup.Remove();
                }

                string what = result.TimedOut ? $"timed out after {ctx.Policy.PodmanTimeoutSeconds} s" : $"exited {result.ExitCode}";
                ctx.Audit.Failed($"podman run {what}: {VerbResult.Summarize(result.Stderr)}");
                return result.TimedOut ? VerbResult.TimedOut("podman run", ctx.Policy.PodmanTimeoutSeconds, null) : VerbResult.ToolFailed("podman run", result);
            }

            if (fresh && !cgroup!.ApplyLimits(limits))
            {
                _ = cgroup.KillAll();
                string error = $"The job used more than its memory limit ({run.MemoryMiB} MiB) while it started, and was killed.";
                ctx.Audit.Failed(error);
                return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Ok = false, Error = error, Cgroup = cgroup.State() });
            }

            if (fresh)
            {
                cgroup!.ResetPeak();
            }

            warnings.AddRange(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            string id = result.Stdout.Trim();
            ctx.Audit.Done("started " + id);
            return VerbResult.Success(new LauncherResponse
            {
                ContainerId = id,
                ContainerName = JobKeys.ContainerName(job),
                Warnings = warnings.Count > 0 ? warnings : null,
                Cgroup = cgroup?.State(),
            });
        }
        finally
        {
            if (envFile is not null)
            {
                call.AsUser(() =>
                {
                    File.Delete(envFile);
                    return 0;
                });
            }
        }
    }

    /// <summary>podman's refusal of a container name that exists: it fails before creating anything.</summary>
    private static bool NameTaken(ToolResult result) => result.Stderr.Contains("is already in use", StringComparison.Ordinal);

    /// <summary>
    /// Makes the job's cgroup with the limits a start may use, starts podman's pause process first where none runs, and
    /// with <paramref name="enter"/> moves the launcher into the cgroup. Returns whether this call made the cgroup (and
    /// so owns its clean-up); a cgroup it made is removed again when a step fails. No cgroup (dev mode): false.
    /// </summary>
    internal static async Task<bool> PrepareJobCgroupAsync(UserCall call, PodmanSession podman, JobCgroup? cgroup, JobLimits limits, bool pauseRunning, bool enter)
    {
        if (cgroup is null)
        {
            return false;
        }

        bool fresh = cgroup.Create(limits.ForStart());
        try
        {
            if (!pauseRunning)
            {
                // From the calls cgroup, so that the job's podman calls join the pause process instead of leaving a new
                // one in the job.
                call.Cgroups!.EnterCalls();
                await StartPauseProcessAsync(call, podman);
            }

            if (enter)
            {
                cgroup.Enter();
            }
        }
        catch
        {
            _ = fresh && cgroup.Remove();
            throw;
        }

        return fresh;
    }

    /// <summary>
    /// Starts podman's pause process from the user's <c>calls</c> cgroup (where the launcher still is), so that the
    /// <c>podman run</c> that follows inside the job's cgroup joins it instead of leaving a new one in the job.
    /// </summary>
    internal static async Task StartPauseProcessAsync(UserCall call, PodmanSession podman)
    {
        ToolResult result = await call.RunAsync(podman, PodmanArgs.Version(podman.Command()));
        if (result.TimedOut || result.ExitCode != 0)
        {
            call.Ctx.Audit.Failed("podman could not set up the user namespace: " + VerbResult.Summarize(result.Stderr));
            throw new ToolTimeoutOrFailure(result.TimedOut
                ? VerbResult.TimedOut("podman version", call.Ctx.Policy.PodmanTimeoutSeconds, null)
                : VerbResult.ToolFailed("podman version", result));
        }
    }
}

/// <summary>A podman call before the main one failed; carries the answer to give.</summary>
internal sealed class ToolTimeoutOrFailure(VerbResult result) : Exception(result.Response.Error)
{
    public VerbResult Result { get; } = result;
}
