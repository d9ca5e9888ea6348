using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Data.Entities.Jobs;
using Portal.Jobs;

namespace Portal.Web.Services.Metrics;

/// <summary>
/// Reads job counts, the queue and the GPU holders from the database every <see cref="MetricsOptions.RefreshInterval"/>
/// into <see cref="JobMetrics"/>. Gauges are read on each scrape and must answer at once, so they never query
/// the database themselves.
/// </summary>
internal sealed partial class JobStatsRefresher(
    IServiceProvider services,
    JobMetrics metrics,
    IOptions<MetricsOptions> options,
    TimeProvider timeProvider,
    ILogger<JobStatsRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved only now: the database's connection string exists once the database start-up has run.
        var contextFactory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                metrics.Update(await ReadAsync(contextFactory, stoppingToken));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(e);
            }

            try
            {
                await Task.Delay(options.Value.RefreshInterval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<JobStats> ReadAsync(IDbContextFactory<PortalDbContext> contextFactory, CancellationToken cancellationToken)
    {
        await using PortalDbContext db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var byState = await db.Jobs.AsNoTracking().GroupBy(j => j.State)
            .Select(g => new { State = g.Key, Count = g.LongCount() })
            .ToDictionaryAsync(g => g.State, g => g.Count, cancellationToken);
        DateTimeOffset? oldest = await db.Jobs.AsNoTracking().Where(j => j.State == JobStateColumn.Queued)
            .MinAsync(j => (DateTimeOffset?)j.SubmittedAt, cancellationToken);
        var holders = await db.GpuAllocations.AsNoTracking().Where(a => a.ReleasedAt == null)
            .Join(db.Jobs, a => a.JobId, j => j.Id, (a, j) => new { a.GpuUuid, j.OwnerLinuxUserName })
            .ToDictionaryAsync(h => h.GpuUuid, h => h.OwnerLinuxUserName, StringComparer.Ordinal, cancellationToken);
        TimeSpan wait = oldest is { } at ? timeProvider.GetUtcNow() - at : TimeSpan.Zero;
        return new JobStats(byState, byState.GetValueOrDefault(JobStateColumn.Queued), wait < TimeSpan.Zero ? TimeSpan.Zero : wait, holders);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read job counts for the metrics; the previous values stay")]
    private partial void LogReadFailed(Exception e);
}
