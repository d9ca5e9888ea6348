using System.Globalization;

namespace Portal.Core.Slurm;

/// <summary>One job as squeue reports it.</summary>
/// <param name="JobId">Slurm's job id.</param>
/// <param name="Name">The job name (portal jobs are <c>portal-&lt;id&gt;</c>).</param>
/// <param name="State">Slurm's state word: PENDING, RUNNING, COMPLETED, ...</param>
/// <param name="Reason">Slurm's reason word (Resources, Priority, QOSMaxGRESPerUser, ...), or null for None.</param>
/// <param name="Uid">The owner's uid.</param>
/// <param name="User">The owner's name.</param>
/// <param name="Nodes">The nodes allocated, or null while pending.</param>
/// <param name="Gpus">GPUs asked for (per node).</param>
/// <param name="Partition">The partition.</param>
/// <param name="StartTime">Actual start, or Slurm's expected start while pending.</param>
/// <param name="EndTime">Actual end, or the expected end while running.</param>
/// <param name="TimeUsed">How long it has run.</param>
/// <param name="TimeLimit">Its time limit; null when unlimited.</param>
public sealed record SqueueJob(
    long JobId,
    string Name,
    string State,
    string? Reason,
    uint Uid,
    string User,
    string? Nodes,
    int Gpus,
    string Partition,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    TimeSpan? TimeUsed,
    TimeSpan? TimeLimit)
{
    public SlurmPhase Phase => SlurmJobStates.Phase(State);
}

/// <summary>
/// The portal's one squeue per tick: every job it follows, by id, in one call (the squeue man page warns against
/// polling job by job), with unit-separated fields and times in UTC (the call sets TZ).
/// </summary>
public static class SqueueQuery
{
    /// <summary>%A id, %j name, %T state, %r reason, %U uid, %u user, %N nodes, %b GRES per node, %P partition,
    /// %S start, %e end, %M time used, %l time limit.</summary>
    public static readonly string Format = SlurmFields.RecordSeparator + string.Join(SlurmFields.UnitSeparator,
        "%A", "%j", "%T", "%r", "%U", "%u", "%N", "%b", "%P", "%S", "%e", "%M", "%l");

    private const int FieldCount = 13;

    /// <summary>squeue's arguments for the jobs with these ids (all states, so jobs that just ended are seen too).</summary>
    public static IReadOnlyList<string> Arguments(IEnumerable<long> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        return ["--noheader", "--states=all", "--jobs=" + string.Join(',', jobIds.Select(id => id.ToString(CultureInfo.InvariantCulture))), "--format=" + Format];
    }

    /// <summary>squeue's arguments for every job (the bench's measure of one poll of a full queue).</summary>
    public static IReadOnlyList<string> ArgumentsForAll() => ["--noheader", "--states=all", "--format=" + Format];

    public static IReadOnlyList<SqueueJob> Parse(string output)
    {
        var jobs = new List<SqueueJob>();
        foreach (var f in SlurmFields.Records(output, FieldCount))
        {
            if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || !uint.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                throw new FormatException($"squeue gave a job without a numeric id or uid: '{SlurmFields.Printable(string.Join('|', f))}'.");
            }

            jobs.Add(new SqueueJob(
                id, f[1], f[2], SlurmFields.Optional(f[3]), uid, f[5], SlurmFields.Optional(f[6]), SlurmFields.GpuCount(f[7]), f[8],
                SlurmFields.Time(f[9]), SlurmFields.Time(f[10]), SlurmFields.Duration(f[11]), SlurmFields.Duration(f[12])));
        }

        return jobs;
    }
}
