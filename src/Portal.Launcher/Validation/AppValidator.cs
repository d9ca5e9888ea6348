using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Validation;

/// <summary>
/// The <c>app</c> section of an <c>app-up</c> request: every service's <c>run</c> under the rules of a job's, plus the
/// rules only apps have (names, start order, volumes, labels, health checks, one service per GPU). Decided from the
/// request and the policy alone; bind sources are checked later on the file system, as the user, like a job's.
/// </summary>
internal static class AppValidator
{
    /// <param name="app">The app section.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="onSlurm">A slurm-submit's app: Slurm picks the GPUs (each service a count, no ids) and the node's
    /// limits are Slurm's, so this host's are not applied (<see cref="Slurm.SlurmRequestRules"/> checks the rest).</param>
    public static void Validate(AppSpec app, LauncherPolicy policy, bool onSlurm = false)
    {
        if (app.Services.Count is 0 or > AppRules.MaxServices)
        {
            RequestValidator.Refuse($"An app has 1 to {AppRules.MaxServices} services.");
        }

        IReadOnlyList<string> volumes = app.Volumes ?? [];
        if (volumes.Count > AppRules.MaxServices * 4 || volumes.Distinct(StringComparer.Ordinal).Count() != volumes.Count)
        {
            RequestValidator.Refuse("The app's volumes are too many or named twice.");
        }

        foreach (string volume in volumes.Where(v => !AppRules.IsVolumeName(v)))
        {
            RequestValidator.Refuse($"'{UntrustedText.Printable(volume)}' is not a volume name.");
        }

        if (AppRules.WebFrontProblem(app) is { } webFront)
        {
            RequestValidator.Refuse(webFront);
        }

        var earlier = new Dictionary<string, AppServiceSpec>(StringComparer.Ordinal);
        var gpus = new HashSet<string>(StringComparer.Ordinal);
        foreach (AppServiceSpec service in app.Services)
        {
            if (!AppRules.IsServiceName(service.Name) || earlier.ContainsKey(service.Name))
            {
                RequestValidator.Refuse($"'{UntrustedText.Printable(service.Name)}' is not a service name, or is used twice.");
            }

            RequestValidator.ValidateRun(service.Run, policy, hostLimits: !onSlurm);
            ValidateGpuCount(service, onSlurm);
            // The entrypoint reaches podman as one JSON array, never as options: it follows the command's rules of shape.
            if (service.Entrypoint is { } entrypoint
                && RunRules.Check(service.Run with { Command = entrypoint }).FirstOrDefault(v => v.Field == RunField.Command) is { } bad)
            {
                RequestValidator.Refuse($"Service '{service.Name}', entrypoint: {bad.Message}");
            }

            foreach (string gpu in service.Run.Gpus ?? [])
            {
                if (!gpus.Add(gpu))
                {
                    RequestValidator.Refuse($"GPU '{UntrustedText.Printable(gpu)}' is given to two services; each GPU goes to one.");
                }
            }

            ValidateMountTargets(service, volumes);
            ValidateLabels(service.Labels);
            if (service.Healthcheck is { } health)
            {
                ValidateHealthcheck(health);
            }

            foreach (DependencySpec dependency in service.DependsOn ?? [])
            {
                if (!earlier.TryGetValue(dependency.Service, out AppServiceSpec? target))
                {
                    RequestValidator.Refuse($"Service '{service.Name}' depends on '{UntrustedText.Printable(dependency.Service)}', which is not a service started before it.");
                }

                if (dependency.Condition is not (DependencyConditions.Started or DependencyConditions.Healthy)
                    || (dependency.Condition == DependencyConditions.Healthy && target.Healthcheck is null))
                {
                    RequestValidator.Refuse($"Service '{service.Name}': the condition on '{dependency.Service}' must be 'started', or 'healthy' for a service with a health check.");
                }
            }

            earlier.Add(service.Name, service);
        }
    }

    private static void ValidateGpuCount(AppServiceSpec service, bool onSlurm)
    {
        if (!onSlurm && service.GpuCount is not null)
        {
            RequestValidator.Refuse($"Service '{service.Name}': gpuCount is for an app on a Slurm cluster; here run.gpus names the GPUs.");
        }

        if (onSlurm && service.Run.Gpus is { Count: > 0 })
        {
            RequestValidator.Refuse($"Service '{service.Name}': on a Slurm cluster Slurm picks the GPUs; give their number in gpuCount, not run.gpus.");
        }

        if (service.GpuCount is < 0 or > SlurmLimits.MaxGpus)
        {
            RequestValidator.Refuse($"Service '{service.Name}': gpuCount must be between 0 and {SlurmLimits.MaxGpus}.");
        }
    }

    private static void ValidateMountTargets(AppServiceSpec service, IReadOnlyList<string> volumes)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal) { AppRules.HostsFileTarget };
        foreach (MountSpec mount in service.Run.Mounts ?? [])
        {
            if (!targets.Add(mount.Target))
            {
                RequestValidator.Refuse($"Service '{service.Name}': '{mount.Target}' is mounted twice or is the app's hosts file.");
            }
        }

        foreach (AppVolumeMountSpec mount in service.Volumes ?? [])
        {
            if (!volumes.Contains(mount.Volume, StringComparer.Ordinal))
            {
                RequestValidator.Refuse($"Service '{service.Name}' mounts '{UntrustedText.Printable(mount.Volume)}', which is not one of the app's volumes.");
            }

            if (RunRules.MountTargetProblem(mount.Target) is { } problem)
            {
                RequestValidator.Refuse($"Service '{service.Name}', volume '{UntrustedText.Printable(mount.Volume)}': {problem}");
            }

            if (!targets.Add(mount.Target))
            {
                RequestValidator.Refuse($"Service '{service.Name}': '{mount.Target}' is mounted twice or is the app's hosts file.");
            }
        }
    }

    private static void ValidateLabels(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null)
        {
            return;
        }

        if (labels.Count > AppRules.MaxLabels)
        {
            RequestValidator.Refuse($"A service has at most {AppRules.MaxLabels} labels.");
        }

        foreach ((string key, string value) in labels)
        {
            if (AppRules.LabelProblem(key, value) is { } problem)
            {
                RequestValidator.Refuse($"Label '{UntrustedText.Printable(key)}': {problem}");
            }
        }
    }

    private static void ValidateHealthcheck(HealthcheckSpec health)
    {
        bool shape = health.Test is ["CMD", _, ..] || health.Test is ["CMD-SHELL", _];
        if (!shape || health.Test.Count > RunRules.MaxCommandItems
            || health.Test.Any(t => t is null || t.Length > RunRules.MaxItemLength || t.Contains('\0', StringComparison.Ordinal)))
        {
            RequestValidator.Refuse("A health check's test is [\"CMD\", program, args...] or [\"CMD-SHELL\", command], without NUL.");
        }

        if (health.IntervalSeconds is < 1 or > AppRules.MaxHealthSeconds || health.TimeoutSeconds is < 1 or > AppRules.MaxHealthSeconds
            || health.StartPeriodSeconds is < 0 or > AppRules.MaxHealthSeconds || health.Retries is < 1 or > AppRules.MaxHealthRetries)
        {
            RequestValidator.Refuse($"Health check times are 1 to {AppRules.MaxHealthSeconds} seconds (start period from 0) and retries 1 to {AppRules.MaxHealthRetries}.");
        }
    }
}
