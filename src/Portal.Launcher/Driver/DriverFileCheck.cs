using Portal.Launcher.Native;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Driver;

/// <summary>
/// Whether the policy's driver files may be mounted into a job now: made for the loaded driver, every file one of the
/// driver's by <see cref="DriverLayout"/> and root's alone on disk. A GPU job in device-node mode starts only when
/// this finds nothing; <c>check</c> reports what it finds.
/// </summary>
internal static class DriverFileCheck
{
    /// <summary>The loaded kernel module's version (/proc/driver/nvidia/version, else /sys/module/nvidia/version),
    /// or null when no NVIDIA module is loaded.</summary>
    public static string? KernelVersion(string root)
    {
        string proc = root + "/proc/driver/nvidia/version";
        if (File.Exists(proc))
        {
            // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  590.48.01  Tue Nov 18 ..." (the open module says
            // "... Open Kernel Module for x86_64  590.48.01  Release Build ..."): the first dotted number.
            string? line = File.ReadLines(proc).FirstOrDefault(l => l.StartsWith("NVRM version:", StringComparison.Ordinal));
            string? version = line?.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
                .FirstOrDefault(t => t.Contains('.', StringComparison.Ordinal) && DriverLayout.IsVersion(t));
            if (version is not null)
            {
                return version;
            }
        }

        string sys = root + "/sys/module/nvidia/version";
        string? fromSys = File.Exists(sys) ? File.ReadAllText(sys).Trim() : null;
        return DriverLayout.IsVersion(fromSys) ? fromSys : null;
    }

    /// <summary>Everything that keeps <paramref name="driver"/> from being mounted; empty when it may be.</summary>
    public static List<string> Problems(DriverPolicy driver, string root)
    {
        List<string> problems = [];
        string? loaded = KernelVersion(root);
        if (loaded is null)
        {
            problems.Add("no NVIDIA kernel module is loaded");
        }
        else if (loaded != driver.Version)
        {
            problems.Add($"the list was made for driver {driver.Version}, the loaded driver is {loaded}");
        }

        foreach (DriverFile file in driver.Files)
        {
            if (DriverLayout.Problem(file, driver.Version, root, out _) is { } shape)
            {
                problems.Add(shape);
                continue;
            }

            try
            {
                SafeFiles.CheckRootOwnedFile(file.Path);
            }
            catch (UnsafeFileException e)
            {
                problems.Add(e.Message.TrimEnd('.'));
            }
        }

        return problems;
    }
}
