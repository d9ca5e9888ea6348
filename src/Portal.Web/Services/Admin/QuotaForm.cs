using System.Globalization;
using Portal.Core.Jobs;
using Portal.Core.Quotas;

namespace Portal.Web.Services.Admin;

/// <summary>
/// A quota layer as typed into the admin form: text, so that an empty field can mean "inherit" (groups and
/// overrides) and a typo gets a sentence instead of a silent zero. The window is in days and the walltime in
/// hours, the units people think of quotas in.
/// </summary>
public sealed class QuotaForm
{
    // Upper bounds catch typos (an extra zero) long before they could overflow anything.
    private const int MaxCount = 100_000;
    private const double MaxGpuHours = 10_000_000;
    private const double MaxWindowDays = 366;
    private const double LongestWalltimeHours = 24 * 366;
    private const double MaxCpus = 4096;
    private const long MaxMemoryMiB = 64L * 1024 * 1024;
    private const double LargestImageGiB = 1024 * 1024;

    public string MaxConcurrentGpus { get; set; } = "";

    public string MaxConcurrentJobs { get; set; } = "";

    public string MaxQueuedJobs { get; set; } = "";

    public string GpuHoursPerWindow { get; set; } = "";

    public string WindowDays { get; set; } = "";

    public string MaxWalltimeHours { get; set; } = "";

    public string MaxCpusPerJob { get; set; } = "";

    public string MaxMemoryMiBPerJob { get; set; } = "";

    /// <summary>Optional even in the default policy, where empty means no limit.</summary>
    public string MaxImageGiB { get; set; } = "";

    /// <summary>The form showing <paramref name="policy"/>; unset fields stay empty.</summary>
    public static QuotaForm From(QuotaPolicy? policy) => new()
    {
        MaxConcurrentGpus = Text(policy?.MaxConcurrentGpus),
        MaxConcurrentJobs = Text(policy?.MaxConcurrentJobs),
        MaxQueuedJobs = Text(policy?.MaxQueuedJobs),
        GpuHoursPerWindow = Text(policy?.GpuHoursPerWindow),
        WindowDays = Text(policy?.Window?.TotalDays),
        MaxWalltimeHours = Text(policy?.MaxWalltime?.TotalHours),
        MaxCpusPerJob = Text(policy?.MaxCpusPerJob),
        MaxMemoryMiBPerJob = Text(policy?.MaxMemoryMiBPerJob),
        MaxImageGiB = Text(policy?.MaxImageGiB),
    };

    /// <summary>Reads the form. With <paramref name="requireAll"/> (the default policy) every field must be set;
    /// otherwise an empty field inherits. Returns every problem at once, by field name.</summary>
    public (QuotaPolicy? Policy, IReadOnlyList<FieldError> Errors) ToPolicy(bool requireAll)
    {
        var errors = new List<FieldError>();
        var gpus = Count(nameof(MaxConcurrentGpus), MaxConcurrentGpus, "Concurrent GPUs");
        var jobs = Count(nameof(MaxConcurrentJobs), MaxConcurrentJobs, "Concurrent jobs");
        var queued = Count(nameof(MaxQueuedJobs), MaxQueuedJobs, "Queued jobs");
        var gpuHours = Number(nameof(GpuHoursPerWindow), GpuHoursPerWindow, "GPU-hours per window", 0, MaxGpuHours, zeroAllowed: true);
        var window = Number(nameof(WindowDays), WindowDays, "The window", 0, MaxWindowDays, zeroAllowed: false);
        var walltime = Number(nameof(MaxWalltimeHours), MaxWalltimeHours, "Max walltime", 0, LongestWalltimeHours, zeroAllowed: false);
        var cpus = Number(nameof(MaxCpusPerJob), MaxCpusPerJob, "Max CPUs per job", 0, MaxCpus, zeroAllowed: false);
        var memory = Number(nameof(MaxMemoryMiBPerJob), MaxMemoryMiBPerJob, "Max memory per job", 0, MaxMemoryMiB, zeroAllowed: false, whole: true);
        var images = Number(nameof(MaxImageGiB), MaxImageGiB, "Image storage", 0, LargestImageGiB, zeroAllowed: false, optional: true);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var policy = new QuotaPolicy
        {
            MaxConcurrentGpus = gpus,
            MaxConcurrentJobs = jobs,
            MaxQueuedJobs = queued,
            GpuHoursPerWindow = gpuHours,
            // Whole seconds: PostgreSQL intervals keep microseconds, but nobody means a fraction of a second here.
            Window = window is { } d ? TimeSpan.FromSeconds(Math.Round(d * 86400)) : null,
            MaxWalltime = walltime is { } h ? TimeSpan.FromSeconds(Math.Round(h * 3600)) : null,
            MaxCpusPerJob = cpus,
            MaxMemoryMiBPerJob = memory is { } m ? (long)m : null,
            MaxImageGiB = images,
        };
        return (policy, errors);

        int? Count(string field, string text, string label)
        {
            if (Blank(field, text, label))
            {
                return null;
            }

            if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > MaxCount)
            {
                errors.Add(new(field, $"{label} must be a whole number from 0 to {MaxCount}."));
                return null;
            }

            return value;
        }

        double? Number(string field, string text, string label, double min, double max, bool zeroAllowed, bool whole = false, bool optional = false)
        {
            if (optional ? string.IsNullOrWhiteSpace(text) : Blank(field, text, label))
            {
                return null;
            }

            var style = whole ? NumberStyles.None : NumberStyles.AllowDecimalPoint;
            if (!double.TryParse(text.Trim(), style, CultureInfo.InvariantCulture, out var value)
                || value < min || value > max || (!zeroAllowed && value == 0))
            {
                var kind = whole ? "a whole number" : "a number";
                var low = zeroAllowed ? $"from {min}" : $"above {min}";
                errors.Add(new(field, string.Create(CultureInfo.InvariantCulture, $"{label} must be {kind} {low} up to {max}.")));
                return null;
            }

            return value;
        }

        bool Blank(string field, string text, string label)
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                return false;
            }

            if (requireAll)
            {
                errors.Add(new(field, $"{label} is required in the default policy."));
            }

            return true;
        }
    }

    /// <summary>A policy in one line for the audit log: only the fields it sets.</summary>
    public static string Describe(QuotaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var parts = new List<string>();
        Add("gpus", policy.MaxConcurrentGpus);
        Add("jobs", policy.MaxConcurrentJobs);
        Add("queued", policy.MaxQueuedJobs);
        Add("gpu-hours", policy.GpuHoursPerWindow);
        Add("window-days", policy.Window?.TotalDays);
        Add("walltime-hours", policy.MaxWalltime?.TotalHours);
        Add("cpus", policy.MaxCpusPerJob);
        Add("memory-mib", policy.MaxMemoryMiBPerJob);
        Add("image-gib", policy.MaxImageGiB);
        return parts.Count == 0 ? "(inherits everything)" : string.Join(' ', parts);

        void Add(string name, IFormattable? value)
        {
            if (value is not null)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={value}"));
            }
        }
    }

    private static string Text(IFormattable? value) => value?.ToString(null, CultureInfo.InvariantCulture) ?? "";
}
