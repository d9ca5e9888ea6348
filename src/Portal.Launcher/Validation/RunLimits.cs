using System.Globalization;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Validation;

/// <summary>The CPU and memory limits of a run request, checked against the policy before podman sees them.</summary>
internal static class RunLimits
{
    /// <summary>podman refuses a memory limit below 6 MiB.</summary>
    public const long MinMemoryMiB = 6;

    /// <summary>A sanity bound when the policy sets none: 16 TiB.</summary>
    public const long UnboundedMemoryMiB = 16L * 1024 * 1024;

    /// <summary>Two decimals are as fine as anyone asks for, and keep the argv free of exponents.</summary>
    public static string FormatCpus(double cpus) => cpus.ToString("0.##", CultureInfo.InvariantCulture);

    public static void Validate(RunSpec run, LauncherPolicy policy)
    {
        double maxCpus = policy.MaxCpus ?? Environment.ProcessorCount;
        if (run.Cpus is { } cpus && !(double.IsFinite(cpus) && cpus >= 0.01 && cpus <= maxCpus))
        {
            throw new RequestRefusedException($"cpus must be between 0.01 and {FormatCpus(maxCpus)}.");
        }

        long maxMemory = policy.MaxMemoryMiB ?? UnboundedMemoryMiB;
        if (run.MemoryMiB is { } memory && (memory < MinMemoryMiB || memory > maxMemory))
        {
            throw new RequestRefusedException($"memoryMiB must be between {MinMemoryMiB} and {maxMemory}.");
        }
    }
}
