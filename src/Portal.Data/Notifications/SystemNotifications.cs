using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Notifications;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Notifications;

/// <summary>
/// The notifications that are not about a job: to administrators of a process computing on a GPU outside its
/// allocation, and to a booking's holder that it opens soon. Each goes only to its recipients (the administrators, the
/// holder) and through the channels they chose for its kind, like a job's.
/// </summary>
public sealed class SystemNotifications(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>Tells every administrator of one foreign GPU process case; returns how many were told (those who
    /// turned the kind off everywhere are not).</summary>
    /// <param name="gpuUuid">The GPU it computes on.</param>
    /// <param name="detail">The case in words: process, owner, what it is, whether it was ended.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<int> NotifyForeignGpuProcessAsync(string gpuUuid, string detail, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(gpuUuid);
        ArgumentException.ThrowIfNullOrEmpty(detail);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        var admins = await db.Users.AsNoTracking()
            .Where(u => db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Admin)))
            .OrderBy(u => u.UserName).Select(u => u.Id).ToListAsync(cancellationToken);
        var told = 0;
        foreach (var admin in admins)
        {
            if (await NotificationOutbox.AddAsync(db, admin, NotificationKinds.ForeignGpuProcess,
                portal => NotificationRecord.ForeignGpuProcess(admin, gpuUuid, detail, now, portal), now, cancellationToken))
            {
                told++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return told;
    }

    /// <summary>
    /// Tells each booking's holder once that it opens soon: every booking not yet told whose window opens after now and
    /// no later than <paramref name="noticeBefore"/> from now (so a booking made closer to its start than that is told
    /// at once, and one that has already opened never). The marker and the notification commit together, one booking
    /// at a time, so a restart or a second portal never tells twice.
    /// </summary>
    /// <returns>The ids of the bookings marked told.</returns>
    public async Task<IReadOnlyList<long>> NotifyBookingsStartingAsync(TimeSpan noticeBefore, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var until = now + noticeBefore;
        List<long> ids;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            ids = await db.GpuBookings.AsNoTracking()
                .Where(b => b.StartingNoticeAt == null && b.Start > now && b.Start <= until)
                .OrderBy(b => b.Start).ThenBy(b => b.Id).Select(b => b.Id).ToListAsync(cancellationToken);
        }

        List<long> told = [];
        foreach (var id in ids)
        {
            if (await NotifyOneBookingAsync(id, now, cancellationToken))
            {
                told.Add(id);
            }
        }

        return told;
    }

    private async Task<bool> NotifyOneBookingAsync(long id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The conditional update is the claim: of two passes, only the one that set the marker tells.
        var claimed = await db.GpuBookings.Where(b => b.Id == id && b.StartingNoticeAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.StartingNoticeAt, now), cancellationToken);
        if (claimed == 0)
        {
            return false;
        }

        var booking = await db.GpuBookings.AsNoTracking().SingleAsync(b => b.Id == id, cancellationToken);
        var indexes = await db.Gpus.AsNoTracking().Where(g => booking.GpuUuids.Contains(g.Uuid))
            .ToDictionaryAsync(g => g.Uuid, g => g.Index, cancellationToken);
        var detail = BookingDetail(booking.GpuUuids, indexes, booking.Start, booking.End, booking.Note);
        await NotificationOutbox.AddAsync(db, booking.HolderId, NotificationKinds.BookingStarting,
            portal => NotificationRecord.BookingStarting(booking.HolderId, booking.Id, detail, now, portal), now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>"GPU 0 (GPU-…) and GPU 1 (GPU-…) from 2026-12-07 09:00 to 18:00 UTC. Note: …"</summary>
    internal static string BookingDetail(
        IReadOnlyList<string> gpus, IReadOnlyDictionary<string, int> indexes, DateTimeOffset start, DateTimeOffset end, string? note)
    {
        var names = gpus.Select(g => indexes.TryGetValue(g, out var index)
            ? string.Create(CultureInfo.InvariantCulture, $"GPU {index} ({g})")
            : g).ToList();
        var which = names.Count == 1 ? names[0] : string.Join(", ", names[..^1]) + " and " + names[^1];
        var to = end.UtcDateTime.Date == start.UtcDateTime.Date
            ? end.ToUniversalTime().ToString("HH:mm", CultureInfo.InvariantCulture)
            : end.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{which} from {start.ToUniversalTime():yyyy-MM-dd HH:mm} to {to} UTC.");
        return string.IsNullOrEmpty(note) ? text : $"{text} Note: {note}";
    }
}
