using Portal.Core.Apps;
using Portal.Core.Jobs;
using Portal.Launcher.Protocol;
using ProtocolApp = Portal.Launcher.Protocol.AppSpec;

namespace Portal.Jobs;

/// <summary>
/// The launcher's <c>app</c> section for an app job: its file read again by the same pure parser that read it at
/// submit, in start order, and the GPUs the ledger allocated to the app handed out in that order, each to one service.
/// </summary>
public static class AppRequests
{
    /// <exception cref="InvalidOperationException">The stored file no longer parses, or the GPUs do not add up: never for
    /// a job the validator accepted.</exception>
    public static ProtocolApp Build(JobSpec job, IReadOnlyList<string> gpus)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(gpus);
        var spec = AppFileParser.Parse(job.AppFile ?? "").Spec
            ?? throw new InvalidOperationException("The app's file no longer parses.");
        if (spec.TotalGpus != gpus.Count)
        {
            throw new InvalidOperationException($"The app asks for {spec.TotalGpus} GPUs but holds {gpus.Count}.");
        }

        var next = 0;
        var services = new List<AppServiceSpec>();
        foreach (var service in spec.Services)
        {
            var request = ToService(service, gpus.Skip(next).Take(service.Gpus).ToList());
            services.Add(spec.WebFront is { } web && web.Service == service.Name ? AsWebFront(request, web.Port) : request);
            next += service.Gpus;
        }

        return new ProtocolApp { Services = services, Volumes = spec.Volumes.Count > 0 ? spec.Volumes : null };
    }

    /// <summary>
    /// The web front gets the job's session folder, and sockbridge as its entrypoint, which starts the service's whole
    /// argv (its entrypoint, then its command) and serves its port on the folder's socket (docs/apps.md).
    /// </summary>
    private static AppServiceSpec AsWebFront(AppServiceSpec service, int port) => service with
    {
        Run = service.Run with
        {
            Command = [.. service.Entrypoint ?? [], .. service.Run.Command ?? []],
            Session = new SessionSpec { BridgePort = port },
        },
        Entrypoint = null,
    };

    /// <summary>The <c>app</c> section of an app on a Slurm cluster: Slurm picks the GPUs, so each service gets a
    /// count (its file's), which the node's batch script hands out in start order as the ledger does here.</summary>
    /// <exception cref="InvalidOperationException">The stored file no longer parses: never for a job the validator accepted.</exception>
    public static ProtocolApp BuildForSlurm(JobSpec job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var spec = AppFileParser.Parse(job.AppFile ?? "").Spec
            ?? throw new InvalidOperationException("The app's file no longer parses.");
        var services = spec.Services.Select(service =>
        {
            var request = ToService(service, []) with { GpuCount = service.Gpus };
            return spec.WebFront is { } web && web.Service == service.Name ? AsWebFront(request, web.Port) : request;
        }).ToList();
        return new ProtocolApp { Services = services, Volumes = spec.Volumes.Count > 0 ? spec.Volumes : null };
    }

    private static AppServiceSpec ToService(AppService service, List<string> gpus) => new()
    {
        Name = service.Name,
        Run = new RunSpec
        {
            Image = service.Image,
            Command = service.Command,
            Env = service.Environment.Count > 0 ? new Dictionary<string, string>(service.Environment, StringComparer.Ordinal) : null,
            Gpus = gpus.Count > 0 ? gpus : null,
            Mounts = service.Binds.Count > 0
                ? [.. service.Binds.Select(b => new MountSpec(b.Source, b.Target, b.ReadOnly))]
                : null,
            Workdir = service.WorkingDirectory,
            // What the scheduler charged the service: its limit, or the default a service without one is given. The
            // launcher sums them into the app's one cgroup, so the kernel holds the app to what was counted.
            Cpus = service.Cpus ?? AppSpecValidator.DefaultServiceCpus,
            MemoryMiB = service.MemoryMiB ?? AppSpecValidator.DefaultServiceMemoryMiB,
        },
        Entrypoint = service.Entrypoint,
        Volumes = service.Volumes.Count > 0
            ? [.. service.Volumes.Select(v => new AppVolumeMountSpec { Volume = v.Volume, Target = v.Target, ReadOnly = v.ReadOnly })]
            : null,
        Labels = service.Labels.Count > 0 ? service.Labels : null,
        Healthcheck = service.Healthcheck is { } health
            ? new HealthcheckSpec
            {
                Test = health.Test,
                IntervalSeconds = (int)health.Interval.TotalSeconds,
                TimeoutSeconds = (int)health.Timeout.TotalSeconds,
                StartPeriodSeconds = (int)health.StartPeriod.TotalSeconds,
                Retries = health.Retries,
            }
            : null,
        DependsOn = service.DependsOn.Count > 0
            ? [.. service.DependsOn.Select(d => new DependencySpec
            {
                Service = d.Service,
                Condition = d.Condition == AppDependencyCondition.Healthy ? DependencyConditions.Healthy : DependencyConditions.Started,
            })]
            : null,
    };
}
