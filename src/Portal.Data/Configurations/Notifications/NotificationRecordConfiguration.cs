using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Configurations.Notifications;

internal sealed class NotificationRecordConfiguration : IEntityTypeConfiguration<NotificationRecord>
{
    public void Configure(EntityTypeBuilder<NotificationRecord> builder)
    {
        builder.ToTable("Notifications", t =>
        {
            t.HasCheckConstraint("CK_Notifications_Kind", "\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed','ForeignGpuProcess','BookingStarting')");
            // A job's notification names its job and state and no subject; any other names a subject and no job.
            t.HasCheckConstraint("CK_Notifications_Subject",
                "(\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed') AND \"JobId\" IS NOT NULL AND \"State\" IS NOT NULL AND \"Subject\" IS NULL) OR (\"Kind\" NOT IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed') AND \"JobId\" IS NULL AND \"State\" IS NULL AND \"Subject\" IS NOT NULL)");
        });
        builder.Property(n => n.Id).UseIdentityAlwaysColumn();
        builder.Property(n => n.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(n => n.JobName).HasMaxLength(200).IsRequired();
        builder.Property(n => n.State).HasMaxLength(16);
        builder.Property(n => n.Subject).HasMaxLength(NotificationRecord.MaxSubjectLength);
        builder.Property(n => n.Detail).HasMaxLength(NotificationRecord.MaxDetailLength);
        // The bell: a user's newest first, and the unread count.
        builder.HasIndex(n => new { n.UserId, n.Id });
        builder.HasIndex(n => n.UserId).HasFilter("\"ReadAt\" IS NULL AND \"ShowInPortal\"").HasDatabaseName("IX_Notifications_Unread");
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
