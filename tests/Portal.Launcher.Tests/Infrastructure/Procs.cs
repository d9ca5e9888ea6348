using System.Globalization;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>Process lookups through /proc (procps is not guaranteed on a fresh CI machine).</summary>
public static class Procs
{
    /// <summary>Pids whose real uid is <paramref name="uid"/> and whose command line contains <paramref name="contains"/> (NUL-separated argv joined by spaces).</summary>
    public static List<int> Find(uint uid, string? contains = null)
    {
        var pids = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                string? uidLine = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                if (uidLine is null || uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] != uid.ToString(CultureInfo.InvariantCulture))
                {
                    continue;
                }

                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (contains is null || cmdline.Contains(contains, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return pids;
    }

    /// <summary>SIGKILL, if the process is still there; false when it is gone already.</summary>
    public static bool TryKill(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>SIGKILLs every process of <paramref name="uid"/> and waits until none is left.</summary>
    public static async Task KillAllAsync(uint uid)
    {
        await Wait.UntilAsync(
            async () =>
            {
                foreach (int pid in Find(uid))
                {
                    try
                    {
                        using var process = System.Diagnostics.Process.GetProcessById(pid);
                        process.Kill();
                    }
                    catch (ArgumentException)
                    {
                        // Already gone.
                    }
                    catch (InvalidOperationException)
                    {
                        // Already gone.
                    }
                }

                await Task.Yield();
                return Find(uid).Count;
            },
            n => n == 0, TimeSpan.FromSeconds(15), $"processes of uid {uid} to end");
    }
}
