using Microsoft.Extensions.Options;

namespace Portal.Web.Services.Gpus;

/// <summary>Lists every problem in the "Portal:Gpus" section at once, at start.</summary>
internal sealed class GpuMonitorOptionsValidator : IValidateOptions<GpuMonitorOptions>
{
    public ValidateOptionsResult Validate(string? name, GpuMonitorOptions options)
    {
        var failures = new List<string>();
        const string S = GpuMonitorOptions.SectionName;
        if (options.SearchPath is { Length: > 0 } searchPath)
        {
            foreach (var folder in searchPath.Split(':'))
            {
                if (!Path.IsPathFullyQualified(folder))
                {
                    failures.Add($"{S}:SearchPath entry '{folder}' must be an absolute folder: a relative one would depend on the portal's working directory.");
                }
            }
        }

        if (options.Interval < TimeSpan.FromMilliseconds(100) || options.Interval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{S}:Interval is {options.Interval}; it must be between 00:00:00.1 and 00:01:00.");
        }

        if (options.HistoryResolution < options.Interval)
        {
            failures.Add($"{S}:HistoryResolution ({options.HistoryResolution}) must not be shorter than {S}:Interval ({options.Interval}).");
        }

        if (options.HistoryWindow < options.HistoryResolution || options.HistoryWindow > TimeSpan.FromDays(1))
        {
            failures.Add($"{S}:HistoryWindow is {options.HistoryWindow}; it must be at least {S}:HistoryResolution and at most one day.");
        }
        else if (options.HistoryCapacity > 10_000)
        {
            failures.Add($"{S}:HistoryWindow / HistoryResolution gives {options.HistoryCapacity} points per GPU; keep it at most 10000 (memory, and a chart cannot show more).");
        }

        if (options.RollupPeriod < options.Interval || options.RollupPeriod > TimeSpan.FromHours(1))
        {
            failures.Add($"{S}:RollupPeriod ({options.RollupPeriod}) must be at least {S}:Interval ({options.Interval}) and at most one hour.");
        }
        else if (options.RollupRetention < options.RollupPeriod || options.RollupCapacity > 20_000)
        {
            failures.Add($"{S}:RollupRetention ({options.RollupRetention}) must be at least {S}:RollupPeriod and keep at most 20000 rows per GPU (a week of minutes is 10080).");
        }

        if (options.JobIdleCheckInterval < TimeSpan.FromMilliseconds(100) || options.JobIdleCheckInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{S}:JobIdleCheckInterval is {options.JobIdleCheckInterval}; it must be between 00:00:00.1 and 00:10:00.");
        }

        if (options.ProcessRefresh < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{S}:ProcessRefresh is {options.ProcessRefresh}; it must be at least 00:00:01 (each refresh starts nvidia-smi).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
