using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities;

namespace Portal.Data.Audit;

/// <summary>Which audit events to read; every filter is optional.</summary>
/// <param name="Actor">Only events by this name (as given at the time).</param>
/// <param name="Action">Only this action, e.g. <c>job.cancel</c>.</param>
/// <param name="From">Only events at or after this moment.</param>
/// <param name="Before">Only events before this moment.</param>
/// <param name="FailuresOnly">Only refused or failed attempts.</param>
/// <param name="Take">At most this many, newest first.</param>
public sealed record AuditQuery(
    string? Actor = null,
    string? Action = null,
    DateTimeOffset? From = null,
    DateTimeOffset? Before = null,
    bool FailuresOnly = false,
    int Take = 500);

/// <summary>Reads the audit table (the web host writes it, with the caller's address).</summary>
public sealed class AuditStore(IDbContextFactory<PortalDbContext> contextFactory)
{
    /// <summary>The newest events that match, newest first.</summary>
    public async Task<IReadOnlyList<AuditEvent>> ListAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Take, 1);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var events = db.AuditEvents.AsNoTracking();
        // PostgreSQL text cannot hold NUL: drop it from a filter rather than fail the read.
        var actor = query.Actor?.Trim().Replace("\0", "", StringComparison.Ordinal);
        var action = query.Action?.Replace("\0", "", StringComparison.Ordinal);
        if (!string.IsNullOrWhiteSpace(actor))
        {
            events = events.Where(e => e.ActorName == actor);
        }

        if (!string.IsNullOrWhiteSpace(action))
        {
            events = events.Where(e => e.Action == action);
        }

        if (query.From is { } from)
        {
            events = events.Where(e => e.OccurredAt >= from);
        }

        if (query.Before is { } before)
        {
            events = events.Where(e => e.OccurredAt < before);
        }

        if (query.FailuresOnly)
        {
            events = events.Where(e => !e.Succeeded);
        }

        return await events.OrderByDescending(e => e.Id).Take(query.Take).ToListAsync(cancellationToken);
    }
}
