using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// The launcher boundary in memory, for fast tests of the job host's decisions: each user's containers as podman
/// would report them, every call recorded, and failures a test scripts per verb. It keeps podman's rules the host
/// relies on (one container per job name, "no such container" for a missing one, a stopped container's exit code;
/// for an app, one pod per job with a container per service, listed as one job); the real launcher and podman are
/// tested against these same rules in Portal.Launcher.Tests. It keeps the launcher's job cgroups as the kernel would
/// report them, consistent with the containers: a launch makes the job's cgroup (populated), the command's end empties
/// it (unless a test leaves a process behind), stop and release empty it and answer with it, remove and release
/// remove it, and a container podman loses (<see cref="Forget"/>) keeps its cgroup.
/// </summary>
public sealed class FakeLauncher(TimeProvider clock) : ILauncher
{
    private readonly ConcurrentDictionary<(string User, string Job), ContainerState> _containers = new();
    private readonly ConcurrentDictionary<(string User, string Job), IReadOnlyList<ContainerState>> _apps = new();
    private readonly ConcurrentDictionary<(string User, string Job), CgroupState> _cgroups = new();
    private readonly ConcurrentDictionary<string, Queue<LauncherException>> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _calls = new();
    private int _nextId;

    /// <summary>Every call so far as "verb user job" (job left out where the verb has none).</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Makes the next call of <paramref name="verb"/> (run, stop, rm, release, inspect, list, logs, app-up,
    /// app-stop, app-rm, app-inspect, app-export) fail.</summary>
    public void FailNext(string verb, LauncherFailure failure = LauncherFailure.OperationFailed, string message = "podman failed")
    {
        var queue = _failures.GetOrAdd(verb, _ => new Queue<LauncherException>());
        lock (queue)
        {
            queue.Enqueue(new LauncherException(failure, message, exitCode: 1, stderr: message));
        }
    }

    /// <summary>Puts a container in place as podman would report it (left from an earlier run, or made by hand).</summary>
    public ContainerState Put(string user, string job, string state, int? exitCode = null, DateTimeOffset? startedAt = null)
    {
        var container = new ContainerState
        {
            Name = "portal-job-" + job,
            Id = NewId(),
            Job = job,
            Owner = user,
            State = state,
            ExitCode = exitCode,
            StartedAt = startedAt ?? clock.GetUtcNow(),
        };
        _containers[(user, job)] = container;
        return container;
    }

    /// <summary>The container of a job, or null when there is none.</summary>
    public ContainerState? Container(string user, string job) => _containers.GetValueOrDefault((user, job));

    /// <summary>An app's service containers, or null when it has no pod.</summary>
    public IReadOnlyList<ContainerState>? App(string user, string job) => _apps.GetValueOrDefault((user, job));

    /// <summary>Ends one service of an app on its own, with an exit code; the app's cgroup empties with the last.</summary>
    public void ExitService(string user, string job, string service, int exitCode)
    {
        var services = _apps[(user, job)] = [.. ExistingApp(user, job).Select(c => c.Service == service ? c with { State = "exited", ExitCode = exitCode } : c)];
        UpdateCgroup(user, job, c => c with { Populated = services.Any(s => s.State != "exited") });
    }

    /// <summary>Ends a job's command on its own, with an exit code; its cgroup empties (unless
    /// <paramref name="leaveProcess"/>: a process that outlived the command, which podman does not see).</summary>
    public void Exit(string user, string job, int exitCode, bool leaveProcess = false)
    {
        _containers[(user, job)] = Existing(user, job) with { State = "exited", ExitCode = exitCode };
        UpdateCgroup(user, job, c => c with { Populated = leaveProcess, CpuSeconds = c.CpuSeconds + 1.5, PeakMemoryBytes = 48L << 20 });
    }

    /// <summary>The kernel's OOM killer ends the job's command inside its cgroup (SIGKILL: exit code 137).</summary>
    public void OomKill(string user, string job)
    {
        _containers[(user, job)] = Existing(user, job) with { State = "exited", ExitCode = 137 };
        UpdateCgroup(user, job, c => c with { Populated = false, OomKills = c.OomKills + 1, PeakMemoryBytes = c.MemoryLimitBytes });
    }

    /// <summary>Podman loses its record of the job's container (its database hidden or replaced); the job's processes
    /// and cgroup stay.</summary>
    public void Forget(string user, string job) => _containers.TryRemove((user, job), out _);

    /// <summary>The last processes of the job end (the kernel's view; podman's, if it still has the container, is unchanged).</summary>
    public void EndProcesses(string user, string job) => UpdateCgroup(user, job, c => c with { Populated = false });

    /// <summary>The job's cgroup as the launcher reports it, or null when it keeps none.</summary>
    public CgroupState? Cgroup(string user, string job) => _cgroups.GetValueOrDefault((user, job));

    public Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default)
    {
        Call("run", user, job);
        if (_containers.ContainsKey((user, job)))
        {
            throw new LauncherException(LauncherFailure.OperationFailed,
                $"podman run failed: the container name \"portal-job-{job}\" is already in use", 1, "Error: name already in use");
        }

        var container = Put(user, job, "running");
        _cgroups[(user, job)] = NewCgroup(job, spec.MemoryMiB);
        return Task.FromResult(new StartedJob(container.Id!, container.Name, []));
    }

    public Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        Call("stop", user, job);
        // As the launcher: podman's failure to find the container is only a warning where the job has a cgroup to empty.
        if (_containers.GetValueOrDefault((user, job)) is { } container)
        {
            if (container.State != "exited")
            {
                // SIGTERM ended it: 128 + 15.
                _containers[(user, job)] = container with { State = "exited", ExitCode = 143 };
            }
        }
        else if (!_cgroups.ContainsKey((user, job)))
        {
            Existing(user, job);
        }

        return Task.FromResult(UpdateCgroup(user, job, c => c with { Populated = false }));
    }

    public Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        Call("rm", user, job);
        Existing(user, job);
        _containers.TryRemove((user, job), out _);
        _cgroups.TryRemove((user, job), out _);
        return Task.CompletedTask;
    }

    public Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default)
    {
        Call("release", user, job);
        var final = UpdateCgroup(user, job, c => c with { Populated = false });
        _cgroups.TryRemove((user, job), out _);
        return Task.FromResult<CgroupState?>(final ?? new CgroupState { Job = job });
    }

    public Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default)
    {
        Call("inspect", user, job);
        return Task.FromResult(Existing(user, job) with { Cgroup = Cgroup(user, job) });
    }

    /// <summary>podman's side as <see cref="ListAsync"/> (each container with its cgroup), and every job cgroup kept.</summary>
    public async Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default)
    {
        var containers = await ListAsync(user, cancellationToken);
        return new UserJobs(
            [.. containers.Select(c => c with { Cgroup = c.Job is { } job ? Cgroup(user, job) : null })],
            [.. _cgroups.Where(g => g.Key.User == user).Select(g => g.Value)]);
    }

    public Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default)
    {
        Call("list", user, null);
        // As the launcher lists them: each app once, as the job it is.
        IReadOnlyList<ContainerState> mine =
        [
            .. _containers.Where(c => c.Key.User == user).Select(c => c.Value),
            .. _apps.Where(a => a.Key.User == user).Select(a => AppStates.Aggregate(a.Key.Job, user, a.Value)),
        ];
        return Task.FromResult(mine);
    }

    /// <summary>What <see cref="ImagesAsync"/> answers for each user (none for a user not listed).</summary>
    public ConcurrentDictionary<string, IReadOnlyList<ImageInfo>> Images { get; } = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default)
    {
        Call("images", user, null);
        return Task.FromResult(Images.GetValueOrDefault(user) ?? []);
    }

    public async IAsyncEnumerable<LogLine> StreamLogsAsync(
        string user, string job, LogsSpec options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Call("logs", user, job);
        Existing(user, job);
        await Task.Yield();
        yield return LogLine.Plain($"output of job {job}");
    }

    // The stand-in runs no launcher, so it cannot say what a policy names or allows.
    public Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>?>(null);

    public Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default) => Task.FromResult<SelfTest?>(null);

    public Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The stand-in ends no process.");

    public Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default)
    {
        Call("check", user ?? "", null);
        return Task.FromResult<IReadOnlyList<CheckItem>>([]);
    }

    public Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        Call("app-up", user, job);
        if (_apps.ContainsKey((user, job)))
        {
            throw new LauncherException(LauncherFailure.OperationFailed,
                $"podman pod create failed: pod \"{LauncherProtocol.PodName(job)}\" already exists", 1, "Error: pod already exists");
        }

        _apps[(user, job)] = [.. app.Services.Select(service => new ContainerState
        {
            Name = LauncherProtocol.ServiceContainerName(job, service.Name),
            Id = NewId(),
            Job = job,
            App = job,
            Service = service.Name,
            Owner = user,
            State = "running",
            StartedAt = clock.GetUtcNow(),
            Image = service.Run.Image,
        })];
        _cgroups[(user, job)] = NewCgroup(job, app.Services.Sum(s => s.Run.MemoryMiB ?? 0) is > 0 and var sum ? sum : null);
        return Task.FromResult(new StartedJob(NewId(), LauncherProtocol.PodName(job), []));
    }

    public Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        Call("app-stop", user, job);
        _apps[(user, job)] = [.. ExistingApp(user, job).Select(c => c.State == "exited" ? c : c with { State = "exited", ExitCode = 143 })];
        return Task.FromResult(UpdateCgroup(user, job, c => c with { Populated = false }));
    }

    public Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        Call("app-rm", user, job);
        ExistingApp(user, job);
        _apps.TryRemove((user, job), out _);
        _cgroups.TryRemove((user, job), out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default)
    {
        Call("app-inspect", user, job);
        return Task.FromResult(_apps.GetValueOrDefault((user, job)) ?? []);
    }

    public Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default)
    {
        Call("app-export", user, job);
        return Task.FromResult($"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {ExistingApp(user, job)[0].App}\n");
    }

    private void Call(string verb, string user, string? job)
    {
        _calls.Enqueue(job is null ? $"{verb} {user}" : $"{verb} {user} {job}");
        if (_failures.TryGetValue(verb, out var queue))
        {
            lock (queue)
            {
                if (queue.TryDequeue(out var failure))
                {
                    throw failure;
                }
            }
        }
    }

    private static CgroupState NewCgroup(string job, long? memoryMiB) => new()
    {
        Job = job,
        Exists = true,
        Populated = true,
        MemoryLimitBytes = memoryMiB * 1024 * 1024,
    };

    private CgroupState? UpdateCgroup(string user, string job, Func<CgroupState, CgroupState> change) =>
        _cgroups.TryGetValue((user, job), out var cgroup) ? _cgroups[(user, job)] = change(cgroup) : null;

    private ContainerState Existing(string user, string job) =>
        _containers.GetValueOrDefault((user, job))
        ?? throw new LauncherException(LauncherFailure.OperationFailed,
            $"podman failed: no container with name or ID \"portal-job-{job}\" found: no such container", 125, "Error: no such container");

    private IReadOnlyList<ContainerState> ExistingApp(string user, string job) =>
        _apps.GetValueOrDefault((user, job))
        ?? throw new LauncherException(LauncherFailure.OperationFailed,
            $"podman failed: no pod with name or ID \"{LauncherProtocol.PodName(job)}\" found: no such pod", 125, "Error: no such pod");

    private string NewId() =>
        Interlocked.Increment(ref _nextId).ToString("x64", CultureInfo.InvariantCulture);
}
