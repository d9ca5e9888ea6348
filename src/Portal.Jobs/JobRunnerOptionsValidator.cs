using Microsoft.Extensions.Options;

namespace Portal.Jobs;

/// <summary>Lists every problem in the "Portal:Jobs" section at once, at start.</summary>
internal sealed class JobRunnerOptionsValidator : IValidateOptions<JobRunnerOptions>
{
    public ValidateOptionsResult Validate(string? name, JobRunnerOptions options)
    {
        var failures = new List<string>();
        const string S = JobRunnerOptions.SectionName;
        Between(failures, $"{S}:SchedulingTick", options.SchedulingTick, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        Between(failures, $"{S}:WatchInterval", options.WatchInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Between(failures, $"{S}:ReconcileInterval", options.ReconcileInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
        // The launcher takes whole seconds, at most an hour.
        Between(failures, $"{S}:StopGracePeriod", options.StopGracePeriod, TimeSpan.Zero, TimeSpan.FromHours(1));
        Between(failures, $"{S}:KeepFinishedContainers", options.KeepFinishedContainers, TimeSpan.Zero, TimeSpan.FromDays(365));
        Between(failures, $"{S}:StuckLaunchTimeout", options.StuckLaunchTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        if (options.OwnerConcurrency is < 1 or > 64)
        {
            failures.Add($"{S}:OwnerConcurrency is {options.OwnerConcurrency}; it must be between 1 and 64.");
        }

        if (options.Capacity.Cpus.HasValue != options.Capacity.MemoryMiB.HasValue)
        {
            failures.Add($"{S}:Capacity needs both Cpus and MemoryMiB, or neither.");
        }

        if (options.Capacity.Cpus is { } cpus && !(cpus > 0 && double.IsFinite(cpus)))
        {
            failures.Add($"{S}:Capacity:Cpus is {cpus}; it must be a positive number of cores.");
        }

        if (options.Capacity.MemoryMiB is <= 0)
        {
            failures.Add($"{S}:Capacity:MemoryMiB is {options.Capacity.MemoryMiB}; it must be positive.");
        }

        if (options.ReconcileInterval < options.WatchInterval)
        {
            failures.Add($"{S}:ReconcileInterval ({options.ReconcileInterval}) must not be shorter than {S}:WatchInterval ({options.WatchInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Between(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{name} is {value}; it must be between {min} and {max}.");
        }
    }
}
