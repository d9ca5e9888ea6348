using Microsoft.EntityFrameworkCore;
using Portal.Core.Notifications;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Notifications;

/// <summary>A notification as its user sees it: about a job (<paramref name="JobId"/> and <paramref name="State"/>
/// set), or about a <paramref name="Subject"/> that is not a job (see <see cref="NotificationRecord.Subject"/>).</summary>
public sealed record NotificationView(
    long Id, NotificationKinds Kind, long? JobId, string JobName, string? State, int? ExitCode, string? Detail,
    DateTimeOffset CreatedAt, DateTimeOffset? ReadAt, string? Subject = null);

/// <summary>The last delivery that went wrong on a channel, for the settings page.</summary>
/// <param name="Channel">Email or webhook.</param>
/// <param name="NotificationId">The notification it was sending.</param>
/// <param name="Attempts">Attempts made.</param>
/// <param name="Error">What the last failed attempt answered.</param>
/// <param name="At">When that was.</param>
/// <param name="GaveUp">No more attempts will be made.</param>
/// <param name="DeliveredAt">When a later attempt got through; null while it has not.</param>
public sealed record DeliveryProblem(
    NotificationChannel Channel, long NotificationId, int Attempts, string Error, DateTimeOffset At, bool GaveUp, DateTimeOffset? DeliveredAt);

/// <summary>
/// The users' side of notifications: their bell (every read is filtered by the caller's own id, so another user's
/// notification reads as none) and their settings. One short context per call.
/// </summary>
public sealed class NotificationStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>The user's notifications for the bell, newest first.</summary>
    public async Task<IReadOnlyList<NotificationView>> ListAsync(Guid userId, int take, bool unreadOnly = false, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Notifications.AsNoTracking()
            .Where(n => n.UserId == userId && n.ShowInPortal && (!unreadOnly || n.ReadAt == null))
            .OrderByDescending(n => n.Id)
            .Take(Math.Clamp(take, 1, 500))
            .Select(n => new NotificationView(n.Id, n.Kind, n.JobId, n.JobName, n.State, n.ExitCode, n.Detail, n.CreatedAt, n.ReadAt, n.Subject))
            .ToListAsync(cancellationToken);
    }

    /// <summary>How many of the user's bell notifications are unread.</summary>
    public async Task<int> UnreadCountAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Notifications.CountAsync(n => n.UserId == userId && n.ShowInPortal && n.ReadAt == null, cancellationToken);
    }

    /// <summary>Marks one of the user's notifications read; false when the user has none with that id.</summary>
    public async Task<bool> MarkReadAsync(Guid userId, long notificationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.Notifications.SingleOrDefaultAsync(n => n.Id == notificationId && n.UserId == userId && n.ShowInPortal, cancellationToken);
        if (record is null)
        {
            return false;
        }

        record.MarkRead(timeProvider.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Marks every unread notification of the user read; returns how many.</summary>
    public async Task<int> MarkAllReadAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        return await db.Notifications.Where(n => n.UserId == userId && n.ReadAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.ReadAt, now), cancellationToken);
    }

    /// <summary>The user's settings (the defaults when they never chose) and their account's email address.</summary>
    public async Task<(NotificationSettingsRecord Settings, string? Email)> GetSettingsAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var settings = await db.NotificationSettings.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken)
            ?? new NotificationSettingsRecord(userId);
        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken);
        return (settings, email);
    }

    /// <summary>Changes the user's settings in one transaction: <paramref name="change"/> edits the row (created with
    /// the defaults when missing).</summary>
    public async Task SaveSettingsAsync(Guid userId, Action<NotificationSettingsRecord> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var settings = await db.NotificationSettings.SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken);
        if (settings is null)
        {
            settings = new NotificationSettingsRecord(userId);
            db.NotificationSettings.Add(settings);
        }

        change(settings);
        settings.UpdatedAt = timeProvider.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Sets the account's email address (null removes it), which notification emails go to.</summary>
    public async Task SetEmailAsync(Guid userId, string? email, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        // Not through UserManager.SetEmailAsync: that renews the security stamp, which would sign the user out everywhere.
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(
            u => u.SetProperty(x => x.Email, email).SetProperty(x => x.NormalizedEmail, email == null ? null : email.ToUpperInvariant())
                .SetProperty(x => x.EmailConfirmed, false),
            cancellationToken);
    }

    /// <summary>Per channel, the user's newest delivery that had an error (failed, given up, or through only on a retry),
    /// for the settings page.</summary>
    public async Task<IReadOnlyList<DeliveryProblem>> LastProblemsAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var problems = new List<DeliveryProblem>();
        foreach (var channel in new[] { NotificationChannel.Email, NotificationChannel.Webhook })
        {
            var last = await db.NotificationDeliveries.AsNoTracking()
                .Where(d => d.Notification!.UserId == userId && d.Channel == channel && d.LastError != null)
                .OrderByDescending(d => d.LastAttemptAt ?? d.GaveUpAt)
                .Select(d => new { d.NotificationId, d.Attempts, d.LastError, d.LastAttemptAt, d.GaveUpAt, d.DeliveredAt })
                .FirstOrDefaultAsync(cancellationToken);
            if (last is not null)
            {
                problems.Add(new DeliveryProblem(
                    channel, last.NotificationId, last.Attempts, last.LastError!, last.LastAttemptAt ?? last.GaveUpAt!.Value,
                    last.GaveUpAt is not null, last.DeliveredAt));
            }
        }

        return problems;
    }
}
