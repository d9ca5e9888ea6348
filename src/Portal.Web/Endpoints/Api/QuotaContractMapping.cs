using System.Globalization;
using Portal.Api.Contracts;
using Portal.Core.Quotas;

namespace Portal.Web.Endpoints.Api;

/// <summary>Quota policies between the API (hours as numbers) and the domain (time spans), with the checks the
/// database would otherwise refuse with a constraint violation.</summary>
internal static class QuotaContractMapping
{
    // Ten years: beyond it a limit means "none", and TimeSpan arithmetic stays far from overflow.
    private const double MaxHours = 24 * 366 * 10;

    public static QuotaPolicyRequest ToRequest(QuotaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new QuotaPolicyRequest
        {
            MaxConcurrentGpus = policy.MaxConcurrentGpus,
            MaxConcurrentJobs = policy.MaxConcurrentJobs,
            MaxQueuedJobs = policy.MaxQueuedJobs,
            GpuHoursPerWindow = policy.GpuHoursPerWindow,
            WindowHours = policy.Window?.TotalHours,
            MaxWalltimeHours = policy.MaxWalltime?.TotalHours,
            MaxCpusPerJob = policy.MaxCpusPerJob,
            MaxMemoryMiBPerJob = policy.MaxMemoryMiBPerJob,
            MaxImageGiB = policy.MaxImageGiB,
        };
    }

    public static (QuotaPolicy? Policy, IReadOnlyList<(string Field, string Message)> Errors) ToPolicy(QuotaPolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<(string, string)>();
        NotNegative("maxConcurrentGpus", request.MaxConcurrentGpus, errors);
        NotNegative("maxConcurrentJobs", request.MaxConcurrentJobs, errors);
        NotNegative("maxQueuedJobs", request.MaxQueuedJobs, errors);
        if (request.GpuHoursPerWindow is { } gpuHours && (!double.IsFinite(gpuHours) || gpuHours < 0))
        {
            errors.Add(("gpuHoursPerWindow", "Use 0 or more GPU-hours."));
        }

        Hours("windowHours", request.WindowHours, errors);
        Hours("maxWalltimeHours", request.MaxWalltimeHours, errors);
        if (request.MaxCpusPerJob is { } cpus && (!double.IsFinite(cpus) || cpus <= 0))
        {
            errors.Add(("maxCpusPerJob", "Use more than 0 CPUs."));
        }

        if (request.MaxMemoryMiBPerJob is <= 0)
        {
            errors.Add(("maxMemoryMiBPerJob", "Use more than 0 MiB."));
        }

        if (request.MaxImageGiB is { } gib && (!double.IsFinite(gib) || gib <= 0))
        {
            errors.Add(("maxImageGiB", "Use more than 0 GiB, or leave it out."));
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new QuotaPolicy
        {
            MaxConcurrentGpus = request.MaxConcurrentGpus,
            MaxConcurrentJobs = request.MaxConcurrentJobs,
            MaxQueuedJobs = request.MaxQueuedJobs,
            GpuHoursPerWindow = request.GpuHoursPerWindow,
            Window = request.WindowHours is { } window ? TimeSpan.FromHours(window) : null,
            MaxWalltime = request.MaxWalltimeHours is { } walltime ? TimeSpan.FromHours(walltime) : null,
            MaxCpusPerJob = request.MaxCpusPerJob,
            MaxMemoryMiBPerJob = request.MaxMemoryMiBPerJob,
            MaxImageGiB = request.MaxImageGiB,
        }, []);
    }

    /// <summary>The set fields, for the audit log.</summary>
    public static string Describe(QuotaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var parts = new List<string>();
        Add(parts, "GPUs", policy.MaxConcurrentGpus);
        Add(parts, "jobs", policy.MaxConcurrentJobs);
        Add(parts, "queued", policy.MaxQueuedJobs);
        Add(parts, "GPU-hours", policy.GpuHoursPerWindow);
        Add(parts, "window h", policy.Window?.TotalHours);
        Add(parts, "walltime h", policy.MaxWalltime?.TotalHours);
        Add(parts, "CPUs", policy.MaxCpusPerJob);
        Add(parts, "MiB", policy.MaxMemoryMiBPerJob);
        Add(parts, "image GiB", policy.MaxImageGiB);
        return parts.Count == 0 ? "override with nothing set" : string.Join(", ", parts);
    }

    private static void Add<T>(List<string> parts, string name, T? value)
        where T : struct, IFormattable
    {
        if (value is { } v)
        {
            parts.Add(name + " " + v.ToString(null, CultureInfo.InvariantCulture));
        }
    }

    private static void NotNegative(string field, int? value, List<(string, string)> errors)
    {
        if (value is < 0)
        {
            errors.Add((field, "Use 0 or more."));
        }
    }

    private static void Hours(string field, double? value, List<(string, string)> errors)
    {
        if (value is { } hours && (!double.IsFinite(hours) || hours <= 0 || hours > MaxHours))
        {
            errors.Add((field, string.Create(CultureInfo.InvariantCulture, $"Use more than 0 and at most {MaxHours:0} hours.")));
        }
    }
}
