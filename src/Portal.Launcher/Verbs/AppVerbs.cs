using Portal.Launcher.Cgroups;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// Apps: one pod without a network and one hardened container per service, built from the validated request (never
/// from a user's YAML). The kernel's guarantees cover an app as they cover a job: its pod, every service and every
/// health check start inside the job's one root-owned cgroup, whose limits are the services' sums and whose device
/// filter opens exactly the app's GPUs (<see cref="JobDevices.Limits(AppSpec, Policy.LauncherPolicy, string)"/>);
/// <c>app-stop</c> and <c>app-remove</c> end it as <c>stop</c> and <c>remove</c> do (<see cref="EndVerbs"/>).
/// An app-up that fails part way removes what it made: no pod, container, volume, hosts file or cgroup is left behind
/// (the portal then calls release for the GPUs, as for a failed run).
/// </summary>
internal static class AppVerbs
{
    /// <param name="call">The call.</param>
    /// <param name="sessionFolder">The web front's session folder, made as root before the call; null for an app without one.</param>
    /// <param name="warnings">Warnings for the answer.</param>
    public static async Task<VerbResult> UpAsync(UserCall call, string? sessionFolder, List<string> warnings)
    {
        LaunchContext ctx = call.Ctx;
        string job = ctx.Request.Job!;
        AppSpec app = ctx.Request.App!;
        await DeviceGrants.GrantAsync(call);
        if (!ctx.Privileged)
        {
            call.DropForGood();
        }

        // With the user's rights, in one switch: enter the home, check every bind source of every service before
        // anything is made, read the user's storage driver and whether podman's pause process runs.
        (var mounts, string driver, bool pauseRunning) = call.AsUser(() =>
        {
            call.EnterHome();
            List<List<(string Source, string Target, bool ReadOnly)>> checkedMounts =
                [.. app.Services.Select(s => MountChecker.Check(s.Run.Mounts, ctx.Policy, call.User))];
            return (checkedMounts, UserStorage.DriverOf(call.User.Home, ctx.Policy.StorageDriver),
                call.RuntimeDir is { } runtimeDir && PauseProcess.IsRunning(call.User.Uid, runtimeDir));
        });

        var podman = new PodmanSession(ctx.Policy, call.ConfigDir, driver);
        JobCgroup? cgroup = call.JobCgroup;
        JobLimits limits = JobDevices.Limits(app, ctx.Policy, podman.StorageDriver);
        // Each of the app's podman calls is started inside the cgroup later (Up), so the launcher does not enter it here.
        bool fresh = await RunVerb.PrepareJobCgroupAsync(call, podman, cgroup, limits, pauseRunning, enter: false);

        var up = new Up(call, podman, cgroup, call.RuntimeDir ?? call.User.Home, sessionFolder, warnings);
        string? failure;
        try
        {
            failure = await up.StartAsync(mounts);
        }
        catch
        {
            await up.UndoAsync(fresh);
            throw;
        }

        if (failure is null && fresh && !cgroup!.ApplyLimits(limits))
        {
            failure = $"The app used more than its memory limit ({limits.MemoryBytes >> 20} MiB, its services' sum) while it started, and was killed.";
        }

        if (failure is not null)
        {
            ctx.Audit.Failed(failure);
            await up.UndoAsync(fresh);
            return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Ok = false, Error = failure });
        }

        if (fresh)
        {
            cgroup!.ResetPeak();
        }

        ctx.Audit.Done($"app started: {app.Services.Count} services");
        return VerbResult.Success(new LauncherResponse
        {
            ContainerName = LauncherProtocol.PodName(job),
            Warnings = warnings.Count > 0 ? [.. warnings.Distinct(StringComparer.Ordinal)] : null,
            Cgroup = cgroup?.State(),
        });
    }

    public static async Task<VerbResult> InspectAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        string job = ctx.Request.Job!;
        List<string> argv = PodmanArgs.PodPs(podman.Command(), job);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        ToolResult result = await call.RunAsync(podman, argv);

        // As for a job: the kernel's answer comes whatever podman's was.
        CgroupState? cgroup = call.JobCgroup?.State();
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman ps timed out");
            return VerbResult.TimedOut("podman ps", ctx.Policy.PodmanTimeoutSeconds, cgroup);
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman ps exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman ps", result, cgroup);
        }

        // The pod filter is a name the user's own storage answers for: keep only this app's services (not the infra container).
        List<ContainerState> services = [.. PodmanJson.ParsePs(result.Stdout).Where(c => c.App == job && c.Owner == call.User.Name && c.Service is not null)];
        ctx.Audit.Done($"inspected {services.Count} services");
        return VerbResult.Success(new LauncherResponse { ContainerName = LauncherProtocol.PodName(job), Containers = services, Cgroup = cgroup });
    }

    public static async Task<VerbResult> ExportAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        List<string> argv = PodmanArgs.KubeGenerate(podman.Command(), ctx.Request.Job!);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        ToolResult result = await call.RunAsync(podman, argv);
        if (result.TimedOut)
        {
            ctx.Audit.Failed("podman kube generate timed out");
            return VerbResult.TimedOut("podman kube generate", ctx.Policy.PodmanTimeoutSeconds, null);
        }

        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman kube generate exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman kube generate", result);
        }

        ctx.Audit.Done("exported");
        return VerbResult.Success(new LauncherResponse { ContainerName = LauncherProtocol.PodName(ctx.Request.Job!), Export = result.Stdout });
    }

    /// <summary>One app-up: its steps, and the undoing of what they made.</summary>
    private sealed class Up(UserCall call, PodmanSession podman, JobCgroup? cgroup, string stateDirectory, string? sessionFolder, List<string> warnings)
    {
        private readonly string _job = call.Ctx.Request.Job!;
        private readonly AppSpec _app = call.Ctx.Request.App!;
        private bool _podMade;

        private LaunchContext Ctx => call.Ctx;

        private string Hosts => HostsFile.PathFor(stateDirectory, _job);

        public async Task<string?> StartAsync(List<List<(string Source, string Target, bool ReadOnly)>> mounts)
        {
            string? failure = await StepAsync("podman pod create", PodmanArgs.PodCreate(podman.Command(), _job, call.User.Name));
            if (failure is not null)
            {
                // Nothing was made (a pod of that name may exist already, and is not this call's to touch).
                return failure;
            }

            _podMade = true;
            call.AsUser(() => HostsFile.Write(stateDirectory, _job, _app.Services.Select(s => s.Name)));
            foreach (string volume in _app.Volumes ?? [])
            {
                failure ??= await StepAsync("podman volume create", PodmanArgs.VolumeCreate(podman.Command(), _job, call.User.Name, volume));
            }

            for (int i = 0; i < _app.Services.Count && failure is null; i++)
            {
                AppServiceSpec service = _app.Services[i];
                foreach (DependencySpec dependency in (service.DependsOn ?? []).Where(d => d.Condition == DependencyConditions.Healthy))
                {
                    failure ??= await WaitHealthyAsync(_app.Services.First(s => s.Name == dependency.Service));
                }

                if (failure is null)
                {
                    ToolResult started = await StartServiceAsync(service, mounts[i]);
                    failure = started.TimedOut ? $"service '{service.Name}': podman run timed out after {Ctx.Policy.PodmanTimeoutSeconds} s"
                        : started.ExitCode == 0 ? null
                        : $"service '{service.Name}': podman run failed: {VerbResult.Summarize(started.Stderr)}";
                    AddWarnings(started.Stderr);
                }
            }

            return failure;
        }

        /// <summary>
        /// Removes what a failed app-up made: the pod with its containers, the volumes, the hosts file, and (when this
        /// call made the cgroup) whatever is left in the job's cgroup, then the cgroup itself.
        /// </summary>
        public async Task UndoAsync(bool freshCgroup)
        {
            if (_podMade)
            {
                await call.RunAsync(podman, PodmanArgs.PodRemoveForce(podman.Command(), _job));
                await call.RunAsync(podman, PodmanArgs.VolumePrune(podman.Command(), _job));
                call.AsUser(() =>
                {
                    HostsFile.Delete(Hosts);
                    return 0;
                });
            }

            if (freshCgroup)
            {
                _ = cgroup!.KillAll() && cgroup.Remove();
            }

            Ctx.Audit.Failed("app-up undone: pod, containers, volumes, hosts file and the job's cgroup removed");
        }

        /// <summary>
        /// A podman call of the app, started inside the job's cgroup (what it starts stays there: conmon, the pod's infra
        /// container, a service, a health check's process); the launcher leaves as soon as podman has started.
        /// </summary>
        private async Task<ToolResult> RunInJobAsync(List<string> argv)
        {
            if (cgroup is null)
            {
                return await call.RunAsync(podman, argv);
            }

            cgroup.Enter();
            bool left = false;
            try
            {
                return await call.RunAsync(podman, argv, started: () =>
                {
                    call.Cgroups!.EnterCalls();
                    left = true;
                });
            }
            finally
            {
                if (!left)
                {
                    call.Cgroups!.EnterCalls();
                }
            }
        }

        private async Task<ToolResult> StartServiceAsync(AppServiceSpec service, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts)
        {
            RunSpec run = service.Run;
            string? envFile = run.Env is { Count: > 0 }
                ? call.AsUser(() => EnvFile.Write(run.Env, stateDirectory, _job + "-" + service.Name))
                : null;
            try
            {
                List<string> argv = PodmanArgs.Run(podman.Command(), _job, run, call.User, Ctx.Policy, envFile, mounts, new PodMember(service, Hosts),
                    service.Run.Session is null ? null : sessionFolder);
                Ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
                ToolResult result = await RunInJobAsync(argv);
                if (result.TimedOut || result.ExitCode != 0)
                {
                    string what = result.TimedOut ? $"timed out after {Ctx.Policy.PodmanTimeoutSeconds} s" : $"exited {result.ExitCode}";
                    Ctx.Audit.Failed($"podman run {what}: {VerbResult.Summarize(result.Stderr)}");
                }

                return result;
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

        /// <summary>
        /// Runs a service's health check until it passes. Checks that fail within the start period do not count; after it,
        /// <c>retries</c> failures in a row mean the service is unhealthy and the app does not start. A check that cannot run
        /// (the container has exited) ends the wait at once.
        /// </summary>
        private async Task<string?> WaitHealthyAsync(AppServiceSpec service)
        {
            HealthcheckSpec health = service.Healthcheck!;
            List<string> argv = PodmanArgs.HealthcheckRun(podman.Command(), _job, service.Name);
            Ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
            DateTime startCounting = DateTime.UtcNow.AddSeconds(health.StartPeriodSeconds);
            int failures = 0;
            while (true)
            {
                // The check's own timeout bounds the command in the container; the deadline bounds podman.
                ToolResult result = await RunInJobAsync(argv);
                if (result.ExitCode == 0 && !result.TimedOut)
                {
                    return null;
                }

                if (result.TimedOut || result.ExitCode != 1)
                {
                    return $"service '{service.Name}': its health check could not run: {VerbResult.Summarize(result.Stderr)}";
                }

                if (DateTime.UtcNow >= startCounting && ++failures >= health.Retries)
                {
                    return $"service '{service.Name}' did not become healthy ({failures} failed checks).";
                }

                await Task.Delay(TimeSpan.FromSeconds(health.IntervalSeconds));
            }
        }

        private async Task<string?> StepAsync(string what, List<string> argv)
        {
            Ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
            ToolResult result = await RunInJobAsync(argv);
            if (result.TimedOut || result.ExitCode != 0)
            {
                string how = result.TimedOut ? $"timed out after {Ctx.Policy.PodmanTimeoutSeconds} s" : $"exited {result.ExitCode}";
                Ctx.Audit.Failed($"{what} {how}: {VerbResult.Summarize(result.Stderr)}");
                return $"{what} failed: {(result.TimedOut ? how : VerbResult.Summarize(result.Stderr))}";
            }

            AddWarnings(result.Stderr);
            return null;
        }

        private void AddWarnings(string stderr) =>
            warnings.AddRange(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
