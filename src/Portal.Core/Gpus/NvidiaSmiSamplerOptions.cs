namespace Portal.Core.Gpus;

/// <summary>Settings of <see cref="NvidiaSmiSampler"/> and <see cref="NvidiaSmiProcessQuery"/>.</summary>
public sealed class NvidiaSmiSamplerOptions
{
    /// <summary>How often nvidia-smi prints a round of samples (its <c>-lms</c> argument).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Where to look for <c>nvidia-smi</c>, colon-separated; null means this process's PATH.
    /// Also the PATH nvidia-smi itself gets.</summary>
    public string? SearchPath { get; set; }

    /// <summary>Delays between restarts when nvidia-smi dies or fails.</summary>
    public ExponentialBackoff RestartBackoff { get; set; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

    /// <summary>How often to look again for nvidia-smi on a box that has none (a driver may be installed later).</summary>
    public TimeSpan NoDriverRecheck { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The limit for one-shot commands such as <c>nvidia-smi -L</c>.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The proc file system root, used to find each GPU's device node.</summary>
    public string ProcRoot { get; set; } = "/proc";

    internal string? EffectiveSearchPath => SearchPath ?? Environment.GetEnvironmentVariable("PATH");
}
