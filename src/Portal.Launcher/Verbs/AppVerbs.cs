using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// Apps: one pod without a network and one hardened container per service, built from the validated request (never
/// from a user's YAML). Runs after the drop, as the user. An app-up that fails part way removes what it made: no pod,
/// container, volume or hosts file is left behind (the portal then calls release for the GPUs, as for a failed run).
/// </summary>
internal static class AppVerbs
{
    public static async Task<VerbResult> UpAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env, string stateDirectory, List<string> warnings)
    {
        string job = ctx.Request.Job!;
        AppSpec app = ctx.Request.App!;

        // Every bind source of every service is checked before anything is made.
        List<List<(string Source, string Target, bool ReadOnly)>> mounts = [.. app.Services.Select(s => MountChecker.Check(s.Run.Mounts, ctx.Policy, user))];
        string? failure = await StepAsync(ctx, "podman pod create", PodmanArgs.PodCreate(ctx.Policy, job, user.Name), env, user, warnings);
        if (failure is not null)
        {
            // Nothing was made (a pod of that name may exist already, and is not this call's to touch).
            return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Ok = false, Error = failure });
        }

        string hosts = HostsFile.PathFor(stateDirectory, job);
        try
        {
            HostsFile.Write(stateDirectory, job, app.Services.Select(s => s.Name));
            foreach (string volume in app.Volumes ?? [])
            {
                failure ??= await StepAsync(ctx, "podman volume create", PodmanArgs.VolumeCreate(ctx.Policy, job, user.Name, volume), env, user, warnings);
            }

            for (int i = 0; i < app.Services.Count && failure is null; i++)
            {
                AppServiceSpec service = app.Services[i];
                foreach (DependencySpec dependency in (service.DependsOn ?? []).Where(d => d.Condition == DependencyConditions.Healthy))
                {
                    failure ??= await WaitHealthyAsync(ctx, app.Services.First(s => s.Name == dependency.Service), env, user);
                }

                if (failure is null)
                {
                    ToolResult started = await ContainerVerbs.StartContainerAsync(ctx, user, env, stateDirectory, service.Run, mounts[i], new PodMember(service, hosts));
                    failure = started.ExitCode == 0 ? null : $"service '{service.Name}': podman run failed: {VerbResult.Summarize(started.Stderr)}";
                    AddWarnings(warnings, started.Stderr);
                }
            }

            if (failure is not null)
            {
                await UndoAsync(ctx, env, user, hosts);
                return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Ok = false, Error = failure });
            }
        }
        catch
        {
            await UndoAsync(ctx, env, user, hosts);
            throw;
        }

        ctx.Audit.Done($"app started: {app.Services.Count} services");
        return VerbResult.Success(new LauncherResponse
        {
            ContainerName = LauncherProtocol.PodName(job),
            Warnings = warnings.Count > 0 ? [.. warnings.Distinct(StringComparer.Ordinal)] : null,
        });
    }

    public static async Task<VerbResult> RemoveAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env, string stateDirectory, List<string> warnings)
    {
        string job = ctx.Request.Job!;
        VerbResult stopped = await ContainerVerbs.SimpleAsync(ctx, "podman pod stop", PodmanArgs.PodStop(ctx.Policy, job, ctx.Request.Stop?.TimeoutSeconds ?? 10), env, user, warnings);
        if (stopped.ExitCode != 0)
        {
            return stopped;
        }

        VerbResult removed = await ContainerVerbs.SimpleAsync(ctx, "podman pod rm", PodmanArgs.PodRemove(ctx.Policy, job), env, user, warnings);
        if (removed.ExitCode != 0)
        {
            return removed;
        }

        HostsFile.Delete(HostsFile.PathFor(stateDirectory, job));
        return await ContainerVerbs.SimpleAsync(ctx, "podman volume prune", PodmanArgs.VolumePrune(ctx.Policy, job), env, user, warnings);
    }

    public static async Task<VerbResult> InspectAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env)
    {
        string job = ctx.Request.Job!;
        List<string> argv = PodmanArgs.PodPs(ctx.Policy, job);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman ps exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman ps", result);
        }

        // The pod filter is a name the user's own storage answers for: keep only this app's services (not the infra container).
        List<ContainerState> services = [.. PodmanJson.ParsePs(result.Stdout).Where(c => c.App == job && c.Owner == user.Name && c.Service is not null)];
        ctx.Audit.Done($"inspected {services.Count} services");
        return VerbResult.Success(new LauncherResponse { ContainerName = LauncherProtocol.PodName(job), Containers = services });
    }

    public static async Task<VerbResult> ExportAsync(LaunchContext ctx, UserAccount user, Dictionary<string, string> env)
    {
        List<string> argv = PodmanArgs.KubeGenerate(ctx.Policy, ctx.Request.Job!);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman kube generate exited {result.ExitCode}");
            return VerbResult.ToolFailed("podman kube generate", result);
        }

        ctx.Audit.Done("exported");
        return VerbResult.Success(new LauncherResponse { ContainerName = LauncherProtocol.PodName(ctx.Request.Job!), Export = result.Stdout });
    }

    /// <summary>
    /// Runs a service's health check until it passes. Checks that fail within the start period do not count; after it,
    /// <c>retries</c> failures in a row mean the service is unhealthy and the app does not start. A check that cannot run
    /// (the container has exited) ends the wait at once.
    /// </summary>
    private static async Task<string?> WaitHealthyAsync(LaunchContext ctx, AppServiceSpec service, Dictionary<string, string> env, UserAccount user)
    {
        HealthcheckSpec health = service.Healthcheck!;
        List<string> argv = PodmanArgs.HealthcheckRun(ctx.Policy, ctx.Request.Job!, service.Name);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        DateTime startCounting = DateTime.UtcNow.AddSeconds(health.StartPeriodSeconds);
        int failures = 0;
        while (true)
        {
            ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
            if (result.ExitCode == 0)
            {
                return null;
            }

            if (result.ExitCode != 1)
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

    private static async Task<string?> StepAsync(LaunchContext ctx, string what, List<string> argv, Dictionary<string, string> env, UserAccount user, List<string> warnings)
    {
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        ToolResult result = await ToolProcess.RunAsync(argv, env, user.Home);
        if (result.ExitCode != 0)
        {
            ctx.Audit.Failed($"{what} exited {result.ExitCode}: {VerbResult.Summarize(result.Stderr)}");
            return $"{what} failed: {VerbResult.Summarize(result.Stderr)}";
        }

        AddWarnings(warnings, result.Stderr);
        return null;
    }

    /// <summary>Removes what a failed app-up made after its pod was created: the pod with its containers, the volumes, the hosts file.</summary>
    private static async Task UndoAsync(LaunchContext ctx, Dictionary<string, string> env, UserAccount user, string hosts)
    {
        await ToolProcess.RunAsync(PodmanArgs.PodRemoveForce(ctx.Policy, ctx.Request.Job!), env, user.Home);
        await ToolProcess.RunAsync(PodmanArgs.VolumePrune(ctx.Policy, ctx.Request.Job!), env, user.Home);
        HostsFile.Delete(hosts);
        ctx.Audit.Failed("app-up undone: pod, containers, volumes and hosts file removed");
    }

    private static void AddWarnings(List<string> warnings, string stderr) =>
        warnings.AddRange(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
