using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// The launcher boundary in memory, for fast tests of the job host's decisions: each user's containers as podman
/// would report them, every call recorded, and failures a test scripts per verb. It keeps podman's rules the host
/// relies on (one container per job name, "no such container" for a missing one, a stopped container's exit code);
/// the real launcher and podman are tested against these same rules in Portal.Launcher.Tests.
/// </summary>
public sealed class FakeLauncher(TimeProvider clock) : ILauncher
{
    private readonly ConcurrentDictionary<(string User, string Job), ContainerState> _containers = new();
    private readonly ConcurrentDictionary<string, Queue<LauncherException>> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _calls = new();
    private int _nextId;

    /// <summary>Every call so far as "verb user job" (job left out where the verb has none).</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Makes the next call of <paramref name="verb"/> (run, stop, rm, release, inspect, list, logs) fail.</summary>
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

    /// <summary>Ends a job's command on its own, with an exit code.</summary>
    public void Exit(string user, string job, int exitCode) =>
        _containers[(user, job)] = Existing(user, job) with { State = "exited", ExitCode = exitCode };

    public Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default)
    {
        Call("run", user, job);
        if (_containers.ContainsKey((user, job)))
        {
            throw new LauncherException(LauncherFailure.OperationFailed,
                $"podman run failed: the container name \"portal-job-{job}\" is already in use", 1, "Error: name already in use");
        }

        var container = Put(user, job, "running");
        return Task.FromResult(new StartedJob(container.Id!, container.Name, []));
    }

    public Task StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        Call("stop", user, job);
        var container = Existing(user, job);
        if (container.State != "exited")
        {
            // SIGTERM ended it: 128 + 15.
            _containers[(user, job)] = container with { State = "exited", ExitCode = 143 };
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        Call("rm", user, job);
        Existing(user, job);
        _containers.TryRemove((user, job), out _);
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string user, string job, CancellationToken cancellationToken = default)
    {
        Call("release", user, job);
        return Task.CompletedTask;
    }

    public Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default)
    {
        Call("inspect", user, job);
        return Task.FromResult(Existing(user, job));
    }

    public Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default)
    {
        Call("list", user, null);
        IReadOnlyList<ContainerState> mine = [.. _containers.Where(c => c.Key.User == user).Select(c => c.Value)];
        return Task.FromResult(mine);
    }

    public Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default)
    {
        Call("images", user, null);
        return Task.FromResult<IReadOnlyList<ImageInfo>>([]);
    }

    public async IAsyncEnumerable<string> StreamLogsAsync(
        string user, string job, LogsSpec options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Call("logs", user, job);
        Existing(user, job);
        await Task.Yield();
        yield return $"output of job {job}";
    }

    public Task<ProvisionResult> ProvisionUserAsync(string user, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The job host never provisions accounts.");

    public Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default)
    {
        Call("check", user ?? "", null);
        return Task.FromResult<IReadOnlyList<CheckItem>>([]);
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

    private ContainerState Existing(string user, string job) =>
        _containers.GetValueOrDefault((user, job))
        ?? throw new LauncherException(LauncherFailure.OperationFailed,
            $"podman failed: no container with name or ID \"portal-job-{job}\" found: no such container", 125, "Error: no such container");

    private string NewId() =>
        Interlocked.Increment(ref _nextId).ToString("x64", CultureInfo.InvariantCulture);
}
