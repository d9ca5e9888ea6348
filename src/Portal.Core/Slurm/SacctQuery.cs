using System.Globalization;

namespace Portal.Core.Slurm;

/// <summary>One job from Slurm's accounting database (only where slurmdbd runs): what is left once squeue and
/// scontrol have forgotten a job (MinJobAge after its end).</summary>
/// <param name="JobId">Slurm's job id.</param>
/// <param name="State">The final state word (e.g. "CANCELLED by 1000" is read as CANCELLED).</param>
/// <param name="ExitCode">The exit code, when it exited.</param>
/// <param name="Signal">The signal that ended it, when one did.</param>
/// <param name="Start">When it started.</param>
/// <param name="End">When it ended.</param>
/// <param name="Nodes">Where it ran.</param>
public sealed record SacctJob(long JobId, string State, int? ExitCode, int? Signal, DateTimeOffset? Start, DateTimeOffset? End, string? Nodes);

/// <summary>sacct for the jobs squeue no longer shows: allocations only (-X), unit-separated, no header.</summary>
public static class SacctQuery
{
    private const int FieldCount = 6;

    public static IReadOnlyList<string> Arguments(IEnumerable<long> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        return
        [
            "--allocations", "--noheader", "--parsable2", "--delimiter=" + SlurmFields.UnitSeparator,
            "--jobs=" + string.Join(',', jobIds.Select(id => id.ToString(CultureInfo.InvariantCulture))),
            "--format=JobIDRaw,State,ExitCode,Start,End,NodeList",
        ];
    }

    public static IReadOnlyList<SacctJob> Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var jobs = new List<SacctJob>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.TrimEnd('\r').Split(SlurmFields.UnitSeparator);
            if (f.Length != FieldCount || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw new FormatException($"sacct gave a line that is not {FieldCount} fields with a job id: '{SlurmFields.Printable(line)}'.");
            }

            (int? exit, int? signal) = ScontrolJobQuery.ExitCode(f[2]);
            jobs.Add(new SacctJob(id, SlurmJobStates.Base(f[1]), exit, signal, SlurmFields.Time(f[3]), SlurmFields.Time(f[4]), SlurmFields.Optional(f[5])));
        }

        return jobs;
    }
}
