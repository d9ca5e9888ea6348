using System.Text.Json;
using Portal.Core.Jobs;
using Portal.Core.Sessions;
using Portal.Data.Entities.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Data.Jobs;

/// <summary>
/// Converts between the job aggregate of the domain (<see cref="Job"/>, <see cref="JobSpec"/>) and its rows
/// (<see cref="JobRecord"/>, <see cref="JobStateChangeRecord"/>, <see cref="GpuAllocation"/>). Loading goes through
/// <see cref="Job.Restore"/>, so a stored history that breaks the state rules is refused rather than used.
/// </summary>
public static class JobMapper
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A new row for a freshly submitted job (its id comes from the database).</summary>
    public static JobRecord NewRecord(Guid ownerId, string ownerLinuxUserName, JobSpec spec, DateTimeOffset submittedAt, string backend = JobBackends.Local)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new JobRecord
        {
            Backend = backend,
            OwnerId = ownerId,
            OwnerLinuxUserName = ownerLinuxUserName,
            Name = spec.Name,
            Image = spec.Image,
            Command = [.. spec.Command],
            EnvironmentJson = JsonSerializer.Serialize(spec.Environment, Json),
            WorkingDirectory = spec.WorkingDirectory,
            MountsJson = JsonSerializer.Serialize(spec.Mounts, Json),
            GpuCount = spec.Gpus.Count,
            SpecificGpuUuids = [.. spec.Gpus.SpecificUuids],
            Cpus = spec.Cpus,
            MemoryMiB = spec.MemoryMiB,
            Walltime = spec.Walltime,
            Priority = spec.Priority,
            AppFile = spec.AppFile,
            SessionKind = spec.Session?.Kind.ToString(),
            SessionPort = spec.Session?.Port,
            Restartable = spec.Restartable,
            State = JobStateColumn.Queued,
            PendingReason = PendingReasonColumn.None,
            SubmittedAt = submittedAt,
        };
    }

    /// <summary>The request a row stores.</summary>
    public static JobSpec ToSpec(JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new JobSpec
        {
            Name = record.Name,
            Image = record.Image,
            Command = record.Command,
            Environment = JsonSerializer.Deserialize<Dictionary<string, string>>(record.EnvironmentJson, Json) ?? [],
            WorkingDirectory = record.WorkingDirectory,
            Mounts = JsonSerializer.Deserialize<List<MountSpec>>(record.MountsJson, Json) ?? [],
            Gpus = record.SpecificGpuUuids.Length > 0 ? GpuRequest.Specific(record.SpecificGpuUuids) : GpuRequest.Any(record.GpuCount),
            Cpus = record.Cpus,
            MemoryMiB = record.MemoryMiB,
            Walltime = record.Walltime,
            Priority = record.Priority,
            AppFile = record.AppFile,
            Session = record.SessionKind is null ? null : new SessionApp(Enum.Parse<SessionKind>(record.SessionKind), record.SessionPort),
            Restartable = record.Restartable,
        };
    }

    /// <summary>Rebuilds the domain job from its row, its history (any order) and its ledger lines (any order).</summary>
    /// <exception cref="InvalidOperationException">The stored rows break an invariant.</exception>
    public static Job ToDomain(JobRecord record, IEnumerable<JobStateChangeRecord> history, IEnumerable<GpuAllocation> allocations)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(allocations);
        var changes = history.OrderBy(h => h.Id).Select(h => new JobStateChange(ToDomain(h.ToState), h.At, h.Reason)).ToList();
        // A Slurm job's GPUs are the cluster's, named by Slurm; only local jobs have ledger lines. A requeued job keeps
        // the lines of its earlier attempts (released), numbered before the latest attempt's: its GPUs are the last ones.
        var gpus = record.Backend == JobBackends.Slurm
            ? record.BackendGpus.ToList()
            : allocations.OrderBy(a => a.Position).Select(a => a.GpuUuid).TakeLast(record.GpuCount).ToList();
        return Job.Restore(record.Id, record.OwnerLinuxUserName, ToSpec(record), changes, gpus, record.ContainerId,
            record.ExitCode, ToDomain(record.PendingReason));
    }

    /// <summary>Writes the job's current state onto its row (the request columns never change).</summary>
    public static void CopyState(Job job, JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(record);
        record.State = ToColumn(job.State);
        record.PendingReason = ToColumn(job.PendingReason);
        record.StartedAt = job.StartedAt;
        record.FinishedAt = job.EndedAt;
        record.ContainerId = job.ContainerId;
        record.ExitCode = job.ExitCode;
        record.Attempts = job.Attempts;
    }

    /// <summary>History rows for the changes after the first <paramref name="storedCount"/> (those already stored).</summary>
    public static IEnumerable<JobStateChangeRecord> NewHistory(Job job, int storedCount)
    {
        ArgumentNullException.ThrowIfNull(job);
        for (var i = storedCount; i < job.History.Count; i++)
        {
            var change = job.History[i];
            yield return new JobStateChangeRecord
            {
                JobId = job.Id,
                FromState = i == 0 ? null : ToColumn(job.History[i - 1].State),
                ToState = ToColumn(change.State),
                At = change.At,
                Reason = change.Detail,
            };
        }
    }

    public static JobStateColumn ToColumn(JobState state) => Enum.Parse<JobStateColumn>(state.ToString());

    public static JobState ToDomain(JobStateColumn state) => Enum.Parse<JobState>(state.ToString());

    public static PendingReasonColumn ToColumn(PendingReason reason) => Enum.Parse<PendingReasonColumn>(reason.ToString());

    public static PendingReason ToDomain(PendingReasonColumn reason) => Enum.Parse<PendingReason>(reason.ToString());
}
