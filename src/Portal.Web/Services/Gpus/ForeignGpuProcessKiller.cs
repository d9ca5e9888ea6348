using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Core.Gpus;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// Ends new foreign GPU processes through the launcher when both the portal's option and the launcher's policy say so,
/// and audits each outcome (<see cref="AuditActions.GpuForeignKill"/>). Never asks for a process that runs in a job (the
/// job is stopped, not picked apart) or whose owner /proc no longer shows; the launcher checks pid, start time, owner
/// and job cgroup again itself.
/// </summary>
internal sealed partial class ForeignGpuProcessKiller(
    ILauncher launcher, AuditLog audit, IOptions<ForeignGpuProcessOptions> options, ILogger<ForeignGpuProcessKiller> logger)
{
    /// <summary>Where start times are read; tests keep /proc.</summary>
    internal string ProcRoot { get; init; } = "/proc";

    // The launcher's policy facts when the option is on and the launcher answered (asked each round, so a policy
    // change needs no portal restart); null otherwise.
    private async Task<PolicyFacts?> PolicyAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Kill)
        {
            return null;
        }

        try
        {
            return (await launcher.SelfTestAsync(cancellationToken))?.Policy;
        }
        catch (LauncherException e)
        {
            LogPolicyUnreadable(e.Message);
            return null;
        }
    }

    /// <summary>Ends each process of <paramref name="found"/> once (a process on two GPUs is one process).</summary>
    /// <returns>Per pid, what came of it ("Ended with SIGKILL.", "Not ended: …"); empty when this box does not end
    /// foreign processes (the option or the launcher's policy says no, or the launcher did not answer).</returns>
    public async Task<IReadOnlyDictionary<int, string>> EndAsync(IReadOnlyList<ForeignGpuProcess> found, CancellationToken cancellationToken)
    {
        Dictionary<int, string> outcomes = [];
        if (found.Count == 0 || await PolicyAsync(cancellationToken) is not { KillGpuProcesses: true } policy)
        {
            return outcomes;
        }

        foreach (var group in found.GroupBy(f => f.Process.Pid))
        {
            if (await EndOneAsync(group.First(), policy.CgroupParent, cancellationToken) is { } outcome)
            {
                outcomes[group.Key] = outcome;
            }
        }

        return outcomes;
    }

    // The outcome in words, audited; null when there was nothing to end (the process is gone from /proc).
    private async Task<string?> EndOneAsync(ForeignGpuProcess found, string? cgroupParent, CancellationToken cancellationToken)
    {
        var process = found.Process;
        if (process.JobId is { } job)
        {
            return await RecordAsync(found, false, $"Not ended: it runs in job {job.ToString(CultureInfo.InvariantCulture)} (stop the job instead).", cancellationToken);
        }

        if (process.OwnerUid is not { } uid)
        {
            // /proc no longer shows it: gone (nvidia-smi's list lags), or hidden from the portal. Nothing to end.
            return null;
        }

        if (process.OwnerName is not { } owner)
        {
            return await RecordAsync(found, false, "Not ended: its owner has no account name.", cancellationToken);
        }

        // The launcher refuses a job's process by its cgroup: so does the portal, without asking, where the container
        // id did not name the job. Only under the policy's parent: a user may name a cgroup of their own "user-N/job-M"
        // (systemd delegates one to each user), and that must not spare a process. An older launcher that does not
        // say its parent decides alone.
        if (cgroupParent is not null && JobCgroup.Of(ProcRoot, process.Pid, cgroupParent) is { } cgroup)
        {
            return await RecordAsync(found, false, $"Not ended: it runs in a job's cgroup {cgroup} (stop the job instead).", cancellationToken);
        }

        if (ProcessStartTime.Read(ProcRoot, process.Pid) is not { } startTime)
        {
            return await RecordAsync(found, true, "Gone before it was ended.", cancellationToken);
        }

        try
        {
            var killed = await launcher.KillGpuProcessAsync(owner, new ProcessSpec { Pid = process.Pid, StartTime = startTime, Uid = uid }, cancellationToken);
            return await RecordAsync(found, true, $"Ended with {killed.Signal}.", cancellationToken);
        }
        catch (LauncherException e)
        {
            return await RecordAsync(found, false, $"Not ended: {e.Message}", cancellationToken);
        }
    }

    private async Task<string> RecordAsync(ForeignGpuProcess found, bool succeeded, string outcome, CancellationToken cancellationToken)
    {
        var gpu = found.GpuUuid;
        var detail = $"{outcome} {found.Describe()}";
        LogOutcome(gpu, detail);
        try
        {
            await audit.WriteAsync(AuditActions.GpuForeignKill, AuditActor.System, succeeded, gpu, detail, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAuditFailed(gpu, e.Message);
        }

        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GPU {Gpu}: {Detail}")]
    private partial void LogOutcome(string gpu, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the audit row for ending a foreign process on GPU {Gpu}: {Reason}")]
    private partial void LogAuditFailed(string gpu, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The launcher's self-test did not say whether foreign GPU processes may be ended: {Reason}")]
    private partial void LogPolicyUnreadable(string reason);
}

/// <summary>The launcher's job cgroups in a process's <c>/proc/&lt;pid&gt;/cgroup</c>, under the policy's parent only
/// (<see cref="JobCgroupPath"/>).</summary>
internal static class JobCgroup
{
    /// <summary>The first job cgroup path of <paramref name="pid"/>, or null (none, or the process is gone).</summary>
    public static string? Of(string procRoot, int pid, string parent)
    {
        try
        {
            return JobCgroupPath.Find(File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "cgroup")), parent);
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>A process's start time: field 22 of <c>/proc/&lt;pid&gt;/stat</c>, clock ticks since boot.</summary>
internal static class ProcessStartTime
{
    /// <summary>Null when the process is gone.</summary>
    public static ulong? Read(string procRoot, int pid)
    {
        try
        {
            return Parse(File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat")));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The command name (field 2) is in parentheses and may hold spaces and ')': fields count from its last ')'.</summary>
    public static ulong? Parse(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong t) ? t : null;
    }
}
