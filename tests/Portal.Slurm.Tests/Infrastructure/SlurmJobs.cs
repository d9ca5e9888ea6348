using System.Globalization;

namespace Portal.Slurm.Tests.Infrastructure;

/// <summary>A Slurm job as the tests read it from squeue (as root).</summary>
public sealed record SlurmJobRow(string State, string Reason, uint Uid, string Name);

public static class SlurmJobs
{
    /// <summary>The job's row, or null when Slurm does not know it.</summary>
    public static async Task<SlurmJobRow?> ReadAsync(long jobId)
    {
        var r = await LocalSlurmCluster.RunAsync("/usr/bin/squeue", "--noheader", "--states=all",
            "--jobs=" + jobId.ToString(CultureInfo.InvariantCulture), "--format=%T\u001f%r\u001f%U\u001f%j");
        var fields = r.Stdout.Trim().Split('\u001f');
        return r.ExitCode != 0 || fields.Length != 4 ? null : new SlurmJobRow(fields[0], fields[1], uint.Parse(fields[2], CultureInfo.InvariantCulture), fields[3]);
    }

    /// <summary>Waits until the job is in <paramref name="state"/> and returns its row.</summary>
    public static async Task<SlurmJobRow> WaitForStateAsync(long jobId, string state, TimeSpan? timeout = null)
    {
        SlurmJobRow? row = null;
        await LocalSlurmCluster.WaitForAsync(async () => (row = await ReadAsync(jobId))?.State == state, timeout ?? TimeSpan.FromSeconds(60),
            $"Slurm job {jobId} to be {state}");
        return row!;
    }

    /// <summary>Processes of <paramref name="uid"/> whose command line contains <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> ProcessesOf(uint uid, string marker)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var owner = File.ReadAllLines(Path.Combine(dir, "status")).First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (owner == uid.ToString(CultureInfo.InvariantCulture) && cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Gone meanwhile.
            }
        }

        return pids;
    }

    /// <summary>Every process's command line and environment, to prove a secret is in neither.</summary>
    public static bool AnyProcessShows(string secret)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(secret, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not a process folder.
            }
        }

        return false;
    }
}
