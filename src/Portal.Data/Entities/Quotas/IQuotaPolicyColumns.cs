namespace Portal.Data.Entities.Quotas;

/// <summary>
/// The columns of one <see cref="Portal.Core.Quotas.QuotaPolicy"/> layer; null inherits from the layer below.
/// Shared by the default, group and user-override tables so that one mapper and one configuration serve all three.
/// </summary>
public interface IQuotaPolicyColumns
{
    int? MaxConcurrentGpus { get; set; }

    int? MaxConcurrentJobs { get; set; }

    int? MaxQueuedJobs { get; set; }

    double? GpuHoursPerWindow { get; set; }

    TimeSpan? Window { get; set; }

    TimeSpan? MaxWalltime { get; set; }

    double? MaxCpusPerJob { get; set; }

    long? MaxMemoryMiBPerJob { get; set; }

    double? MaxImageGiB { get; set; }
}
